//! `cabildo-load compare`: the side-by-side table of several servers (issue #19) from the
//! `steady` reports of interleaved rounds, each figure with its ratio to one reference
//! server (Bun by default).

use crate::report::Report;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The rate (posts/s/member) whose CPU per delivery and p99 are compared.
    #[arg(long)]
    pub rate: f64,
    /// The p99 a rate must keep, in every round, to count as sustained.
    #[arg(long, default_value_t = 50.0)]
    pub p99_limit_ms: f64,
    /// The server every ratio is taken against.
    #[arg(long, default_value = "bun")]
    pub reference: String,
    /// `steady` reports (any number of rounds of each server).
    pub files: Vec<PathBuf>,
}

/// One server's rounds.
struct Rounds<'a>(Vec<&'a Report>);

impl Rounds<'_> {
    fn rss(&self) -> Vec<f64> {
        self.0
            .iter()
            .filter_map(|r| r.server_rss_bytes_per_connection)
            .collect()
    }

    fn at_rate(
        &self,
        rate: f64,
        figure: impl Fn(&crate::report::Phase) -> Option<f64>,
    ) -> Vec<f64> {
        self.0
            .iter()
            .filter_map(|r| r.phases.iter().find(|p| (p.load - rate).abs() < 1e-9))
            .filter_map(figure)
            .collect()
    }

    /// The highest rate whose delivery p99 stayed within the limit in every round, and the
    /// mean deliveries/s at it.
    fn sustained(&self, limit_ms: f64) -> Option<(f64, f64)> {
        let mut rates: Vec<f64> = self
            .0
            .iter()
            .flat_map(|r| r.phases.iter().map(|p| p.load))
            .collect();
        rates.sort_by(f64::total_cmp);
        rates.dedup();
        let mut best = None;
        for rate in rates {
            let phases: Vec<_> = self
                .0
                .iter()
                .filter_map(|r| r.phases.iter().find(|p| p.load == rate))
                .collect();
            let met = phases.len() == self.0.len()
                && phases
                    .iter()
                    .all(|p| p.drained && p.latency.p99_us as f64 <= limit_ms * 1e3);
            if !met {
                break;
            }
            best = Some((
                rate,
                mean(
                    &phases
                        .iter()
                        .map(|p| p.deliveries_per_s)
                        .collect::<Vec<_>>(),
                ),
            ));
        }
        best
    }

    fn lost(&self) -> u64 {
        self.0
            .iter()
            .map(|r| r.verification.lost + r.verification.duplicates + r.verification.unexpected)
            .sum()
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// `min–max` of the rounds (one figure when they agree to the shown precision).
fn range(v: &[f64], decimals: usize) -> String {
    if v.is_empty() {
        return "–".into();
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = (format!("{lo:.decimals$}"), format!("{hi:.decimals$}"));
    if lo == hi {
        lo
    } else {
        format!("{lo}–{hi}")
    }
}

fn ratio(mine: f64, reference: f64) -> String {
    if mine.is_finite() && reference.is_finite() && reference > 0.0 {
        format!("{:.2}×", mine / reference)
    } else {
        "–".into()
    }
}

pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let mut reports = Vec::new();
    for f in &args.files {
        let text =
            std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        reports.push(serde_json::from_str::<Report>(&text)?);
    }
    let mut by_target: BTreeMap<&str, Rounds> = BTreeMap::new();
    for r in &reports {
        by_target
            .entry(r.target.as_str())
            .or_insert_with(|| Rounds(Vec::new()))
            .0
            .push(r);
    }
    let order = ["cabildo", "baseline", "bun", "node-ws"];
    let mut targets: Vec<&str> = by_target.keys().copied().collect();
    targets.sort_by_key(|t| order.iter().position(|o| o == t).unwrap_or(order.len()));
    let reference = by_target
        .get(args.reference.as_str())
        .ok_or_else(|| anyhow::anyhow!("no report of the reference server {}", args.reference))?;
    let rate = args.rate;
    let cpu = |r: &Rounds| r.at_rate(rate, |p| p.server_cpu_s_per_million_deliveries);
    let p99 = |r: &Rounds| r.at_rate(rate, |p| Some(p.latency.p99_us as f64 / 1e3));
    let dps = |r: &Rounds| r.at_rate(rate, |p| Some(p.deliveries_per_s));

    let mut out = String::new();
    let _ = write!(out, "| figure |");
    for t in &targets {
        let _ = write!(out, " {t} ({} rounds) |", by_target[t].0.len());
    }
    for t in targets.iter().filter(|t| **t != args.reference) {
        let _ = write!(out, " {t} ÷ {} |", args.reference);
    }
    out.push('\n');
    let _ = writeln!(out, "|{}", "---|".repeat(2 * targets.len()));
    type Figure<'a> = (String, Box<dyn Fn(&Rounds) -> (String, f64) + 'a>);
    let rows: Vec<Figure> = vec![
        (
            "server RSS per idle authenticated connection, B".into(),
            Box::new(|r: &Rounds| (range(&r.rss(), 0), mean(&r.rss()))),
        ),
        (
            format!("server CPU s per million deliveries at {rate} posts/s/member"),
            Box::new(|r: &Rounds| (range(&cpu(r), 1), mean(&cpu(r)))),
        ),
        (
            format!("delivery p99 at {rate} posts/s/member, ms"),
            Box::new(|r: &Rounds| (range(&p99(r), 1), mean(&p99(r)))),
        ),
        (
            format!("deliveries/s at {rate} posts/s/member"),
            Box::new(|r: &Rounds| (range(&dps(r), 0), mean(&dps(r)))),
        ),
        (
            format!(
                "deliveries/s at the highest rate with p99 ≤ {} ms in every round",
                args.p99_limit_ms
            ),
            Box::new(|r: &Rounds| match r.sustained(args.p99_limit_ms) {
                Some((rate, d)) => (format!("{d:.0} ({rate})"), d),
                None => ("none".into(), f64::NAN),
            }),
        ),
        (
            "lost + duplicated + unexpected deliveries".into(),
            Box::new(|r: &Rounds| (r.lost().to_string(), f64::NAN)),
        ),
    ];
    for (name, figure) in &rows {
        let _ = write!(out, "| {name} |");
        let (_, reference_mean) = figure(reference);
        let mut ratios = String::new();
        for t in &targets {
            let (shown, m) = figure(&by_target[t]);
            let _ = write!(out, " {shown} |");
            if *t != args.reference {
                let _ = write!(ratios, " {} |", ratio(m, reference_mean));
            }
        }
        let _ = writeln!(out, "{ratios}");
    }
    print!("{out}");
    Ok(())
}

//! Unit tests of the review by delegations. They start from the session of
//! `domain/tests/mod.rs` (Ana AR and Ben BR in room 1, Cho CL in room 2, Dan PE in the lobby),
//! with Eva, a second delegate of AR, and two conclusions citing Ana's and Cho's cards.

use super::*;
use crate::domain::roster::RosterPerson;
use crate::domain::tests::{join, pid, refused, Refused, Session};
use crate::domain::{decide, Actor, Command, ConclusionId};
use uuid::Uuid;

const NOW: i64 = 1_800_000_000_000;
const DEADLINE: i64 = NOW + 3_600_000;

fn kid(n: u128) -> ConclusionId {
    ConclusionId(Uuid::from_u128(0xF000 + n))
}

struct Review {
    s: Session,
    eva: ParticipantId,
}

fn setup() -> Review {
    let mut s = Session::new();
    let eva = pid(6);
    let joined = decide(
        &s.w,
        Actor::Server,
        &join(eva, Some("AR"), "pt", Role::Delegate),
    );
    s.apply(&joined.unwrap());
    let a = s.post(s.ana, 0, "Shared fibre");
    let c = s.post(s.cho, 1, "Data centres");
    let fac = s.facilitator;
    for (n, cards) in [(1, vec![a]), (2, vec![a, c])] {
        s.run(
            fac,
            Command::AddConclusion {
                conclusion: kid(n),
                theme: "governance".into(),
                text: format!("Conclusion {n}"),
                cards,
            },
        );
    }
    Review { s, eva }
}

fn open(rule: AnswerRule) -> Command {
    Command::OpenReview {
        deadline: DEADLINE,
        rule,
        now: NOW,
    }
}

fn answer(n: u128, version: u64, kind: AnswerKind, text: Option<&str>) -> Command {
    Command::AnswerReview {
        conclusion: kid(n),
        version,
        answer: kind,
        text: text.map(str::to_string),
        now: NOW,
    }
}

fn make_head(s: &mut Session, who: ParticipantId, country: &str) {
    s.apply(&[Event::RosterAdded {
        people: vec![RosterPerson {
            id: who,
            name: "Head".into(),
            country: Some(country.into()),
            email: None,
            role: Role::Delegate,
            room: None,
            head: true,
            link_hash: None,
            link_revoked: false,
        }],
    }]);
}

#[test]
fn only_staff_open_and_only_with_conclusions_and_a_future_deadline() {
    let mut r = setup();
    let (fac, ana) = (r.s.facilitator, r.s.ana);
    assert_eq!(
        refused(r.s.decide(ana, open(AnswerRule::All))),
        Refused::Forbidden
    );
    let past = Command::OpenReview {
        deadline: NOW - 1,
        rule: AnswerRule::All,
        now: NOW,
    };
    assert_eq!(refused(r.s.decide(fac, past)), Refused::Invalid);
    let far = Command::OpenReview {
        deadline: NOW + DEADLINE_MAX_MS + 1,
        rule: AnswerRule::All,
        now: NOW,
    };
    assert_eq!(refused(r.s.decide(fac, far)), Refused::Invalid);
    let empty = Session::new();
    assert_eq!(
        refused(empty.decide(empty.facilitator, open(AnswerRule::All))),
        Refused::Invalid
    );
    r.s.run(fac, open(AnswerRule::All));
    assert!(r.s.w.review.as_ref().is_some_and(|v| !v.closed));
    // The same again changes nothing.
    assert_eq!(r.s.decide(fac, open(AnswerRule::All)), Ok(vec![]));
}

#[test]
fn a_country_answer_is_the_latest_of_its_delegates_with_who_gave_it() {
    let mut r = setup();
    let (fac, ana, eva, ben) = (r.s.facilitator, r.s.ana, r.eva, r.s.ben);
    r.s.run(fac, open(AnswerRule::All));
    r.s.run(ana, answer(1, 1, AnswerKind::Endorse, None));
    r.s.run(
        eva,
        answer(1, 1, AnswerKind::Reserve, Some("Only with funding")),
    );
    r.s.run(
        ben,
        answer(1, 1, AnswerKind::Comment, Some("Add rural areas")),
    );
    let rec = &record(&r.s.w)[0];
    assert!(rec.endorsed.is_empty());
    assert_eq!(rec.reserved.len(), 1);
    assert_eq!(
        (rec.reserved[0].country.as_str(), rec.reserved[0].by),
        ("AR", eva)
    );
    assert_eq!(rec.reserved[0].text.as_deref(), Some("Only with funding"));
    assert_eq!(rec.commented[0].country, "BR");
    assert_eq!(rec.unanswered, ["CL", "PE"]);
    // Conclusion 2: nobody answered yet.
    assert_eq!(record(&r.s.w)[1].unanswered, ["AR", "BR", "CL", "PE"]);
}

#[test]
fn staff_do_not_answer_and_bad_answers_are_refused() {
    let mut r = setup();
    let (fac, ana) = (r.s.facilitator, r.s.ana);
    assert_eq!(
        refused(r.s.decide(ana, answer(1, 1, AnswerKind::Endorse, None))),
        Refused::NotFound,
        "no review yet"
    );
    r.s.run(fac, open(AnswerRule::All));
    assert_eq!(
        refused(r.s.decide(fac, answer(1, 1, AnswerKind::Endorse, None))),
        Refused::Forbidden
    );
    assert_eq!(
        refused(r.s.decide(ana, answer(1, 1, AnswerKind::Reserve, None))),
        Refused::Invalid
    );
    assert_eq!(
        refused(r.s.decide(ana, answer(1, 1, AnswerKind::Comment, Some("  ")))),
        Refused::Invalid
    );
    assert_eq!(
        refused(r.s.decide(ana, answer(1, 1, AnswerKind::Endorse, Some("yes")))),
        Refused::Invalid
    );
    let long = "x".repeat(REVIEW_TEXT_MAX + 1);
    assert_eq!(
        refused(r.s.decide(ana, answer(1, 1, AnswerKind::Comment, Some(&long)))),
        Refused::TooLarge
    );
    assert_eq!(
        refused(r.s.decide(ana, answer(9, 1, AnswerKind::Endorse, None))),
        Refused::NotFound
    );
    assert_eq!(
        refused(r.s.decide(ana, answer(1, 2, AnswerKind::Endorse, None))),
        Refused::Conflict(1)
    );
}

#[test]
fn under_the_head_rule_only_the_head_answers_unless_the_country_has_none() {
    let mut r = setup();
    let (fac, ana, eva, ben) = (r.s.facilitator, r.s.ana, r.eva, r.s.ben);
    make_head(&mut r.s, ana, "AR");
    r.s.run(fac, open(AnswerRule::Head));
    assert_eq!(
        refused(r.s.decide(eva, answer(1, 1, AnswerKind::Endorse, None))),
        Refused::Forbidden
    );
    r.s.run(ana, answer(1, 1, AnswerKind::Endorse, None));
    // Brazil has no head: every Brazilian delegate answers.
    r.s.run(ben, answer(1, 1, AnswerKind::Endorse, None));
    let ev = view(&r.s.w, r.s.who(eva), NOW).unwrap();
    assert!(!ev.eligible);
    assert!(view(&r.s.w, r.s.who(ana), NOW).unwrap().eligible);
    // After the deadline nobody may answer, and the view says so.
    assert!(!view(&r.s.w, r.s.who(ana), DEADLINE + 1).unwrap().eligible);
    assert!(view(&r.s.w, r.s.who(ana), DEADLINE).unwrap().eligible);
    // Under the `all` rule Eva may answer again.
    r.s.run(
        fac,
        Command::OpenReview {
            deadline: DEADLINE,
            rule: AnswerRule::All,
            now: NOW,
        },
    );
    r.s.run(eva, answer(1, 1, AnswerKind::Comment, Some("ok")));
    assert_eq!(record(&r.s.w)[0].endorsed.len(), 1, "Brazil's answer kept");
}

#[test]
fn answers_after_the_deadline_or_the_close_are_refused() {
    let mut r = setup();
    let (fac, ana) = (r.s.facilitator, r.s.ana);
    r.s.run(fac, open(AnswerRule::All));
    let late = Command::AnswerReview {
        conclusion: kid(1),
        version: 1,
        answer: AnswerKind::Endorse,
        text: None,
        now: DEADLINE + 1,
    };
    assert_eq!(refused(r.s.decide(ana, late)), Refused::Closed);
    assert_eq!(
        refused(r.s.decide(ana, Command::CloseReview)),
        Refused::Forbidden
    );
    r.s.run(fac, Command::CloseReview);
    assert_eq!(
        refused(r.s.decide(ana, answer(1, 1, AnswerKind::Endorse, None))),
        Refused::Closed
    );
    assert_eq!(r.s.decide(fac, Command::CloseReview), Ok(vec![]));
}

#[test]
fn a_revision_restarts_that_conclusions_answers_and_keeps_the_old_text() {
    let mut r = setup();
    let (fac, ana, ben) = (r.s.facilitator, r.s.ana, r.s.ben);
    r.s.run(fac, open(AnswerRule::All));
    r.s.run(ana, answer(1, 1, AnswerKind::Endorse, None));
    r.s.run(ana, answer(2, 1, AnswerKind::Endorse, None));
    let revise = |version, text: &str| Command::ReviseConclusion {
        conclusion: kid(1),
        version,
        text: text.into(),
    };
    assert_eq!(
        refused(r.s.decide(ana, revise(1, "New"))),
        Refused::Forbidden
    );
    assert_eq!(
        refused(r.s.decide(fac, revise(3, "New"))),
        Refused::Conflict(1)
    );
    assert_eq!(r.s.decide(fac, revise(1, "Conclusion 1")), Ok(vec![]));
    r.s.run(fac, revise(1, "Conclusion 1, revised"));
    let recs = record(&r.s.w);
    assert_eq!(recs[0].unanswered, ["AR", "BR", "CL", "PE"]);
    assert_eq!(recs[0].text, "Conclusion 1, revised");
    assert_eq!(
        recs[1].endorsed.len(),
        1,
        "the other conclusion keeps its answers"
    );
    let v = view(&r.s.w, r.s.who(ben), NOW).unwrap();
    let rev = &v.conclusions[0].revisions[0];
    assert_eq!(
        (rev.previous_text.as_str(), rev.text.as_str(), rev.version),
        ("Conclusion 1", "Conclusion 1, revised", 2)
    );
    // An answer to the old version is refused.
    assert_eq!(
        refused(r.s.decide(ana, answer(1, 1, AnswerKind::Endorse, None))),
        Refused::Conflict(2)
    );
    r.s.run(ana, answer(1, 2, AnswerKind::Endorse, None));
}

#[test]
fn replies_go_to_comments_and_reservations_only() {
    let mut r = setup();
    let (fac, ana, ben) = (r.s.facilitator, r.s.ana, r.s.ben);
    r.s.run(fac, open(AnswerRule::All));
    r.s.run(ana, answer(1, 1, AnswerKind::Endorse, None));
    r.s.run(
        ben,
        answer(1, 1, AnswerKind::Comment, Some("Add rural areas")),
    );
    let reply = |country: &str| Command::ReplyReview {
        conclusion: kid(1),
        country: country.into(),
        text: "Done in the annex".into(),
    };
    assert_eq!(refused(r.s.decide(fac, reply("AR"))), Refused::NotFound);
    assert_eq!(refused(r.s.decide(fac, reply("CL"))), Refused::NotFound);
    assert_eq!(refused(r.s.decide(ben, reply("BR"))), Refused::Forbidden);
    r.s.run(fac, reply("BR"));
    let rec = &record(&r.s.w)[0];
    let reply = rec.commented[0].reply.as_ref().expect("a reply");
    assert_eq!((reply.text.as_str(), reply.by), ("Done in the annex", fac));
}

#[test]
fn closing_freezes_the_conclusions_for_good() {
    let mut r = setup();
    let fac = r.s.facilitator;
    r.s.run(fac, open(AnswerRule::All));
    let edit = Command::EditConclusion {
        conclusion: kid(1),
        version: 1,
        text: Some("Edited".into()),
        cards: None,
        theme: None,
        status: None,
    };
    assert_eq!(refused(r.s.decide(fac, edit.clone())), Refused::Closed);
    r.s.run(fac, Command::CloseReview);
    assert!(r
        .s
        .w
        .conclusions
        .iter()
        .all(|c| c.status == ConclusionStatus::Final));
    assert_eq!(refused(r.s.decide(fac, edit)), Refused::Closed);
    let revise = Command::ReviseConclusion {
        conclusion: kid(1),
        version: 1,
        text: "New".into(),
    };
    assert_eq!(refused(r.s.decide(fac, revise)), Refused::Closed);
    assert_eq!(
        refused(r.s.decide(fac, open(AnswerRule::All))),
        Refused::Closed
    );
    let remove = Command::RemoveConclusion {
        conclusion: kid(1),
        version: 1,
    };
    assert_eq!(refused(r.s.decide(fac, remove)), Refused::Closed);
}

#[test]
fn replaying_the_log_rebuilds_the_review() {
    let mut r = setup();
    let (fac, ana, ben) = (r.s.facilitator, r.s.ana, r.s.ben);
    r.s.run(fac, open(AnswerRule::All));
    r.s.run(ana, answer(1, 1, AnswerKind::Reserve, Some("Funding")));
    r.s.run(ben, answer(2, 1, AnswerKind::Comment, Some("Why?")));
    r.s.run(
        fac,
        Command::ReplyReview {
            conclusion: kid(2),
            country: "BR".into(),
            text: "Because".into(),
        },
    );
    r.s.run(
        fac,
        Command::ReviseConclusion {
            conclusion: kid(1),
            version: 1,
            text: "Better".into(),
        },
    );
    r.s.run(fac, Command::CloseReview);
    let mut again = Workshop::empty(r.s.w.id);
    for (i, e) in r.s.log.iter().enumerate() {
        again.apply(i as u64 + 1, e);
    }
    assert_eq!(again.review, r.s.w.review);
    assert_eq!(again.conclusions, r.s.w.conclusions);
}

#[test]
fn country_record_gives_one_delegations_answers() {
    let mut r = setup();
    let (fac, ana) = (r.s.facilitator, r.s.ana);
    assert_eq!(country_record(&r.s.w, "AR"), None);
    r.s.run(fac, open(AnswerRule::All));
    r.s.run(ana, answer(2, 1, AnswerKind::Reserve, Some("Funding")));
    let ar = country_record(&r.s.w, "AR").expect("a record");
    assert_eq!(ar.conclusions.len(), 2);
    assert_eq!(ar.conclusions[0].answer, None);
    let a = ar.conclusions[1].answer.as_ref().expect("an answer");
    assert_eq!(
        (a.answer, a.text.as_deref()),
        (AnswerKind::Reserve, Some("Funding"))
    );
    assert!(country_record(&r.s.w, "BR").unwrap().conclusions[1]
        .answer
        .is_none());
}

#[test]
fn the_view_shows_supporting_cards_rooms_and_countries_to_delegates() {
    let mut r = setup();
    let (fac, dan) = (r.s.facilitator, r.s.dan);
    r.s.run(fac, open(AnswerRule::All));
    let v = view(&r.s.w, r.s.who(dan), NOW).expect("a view");
    assert_eq!(v.country.as_deref(), Some("PE"));
    let c2 = &v.conclusions[1];
    let texts: Vec<_> = c2.cards.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["Shared fibre", "Data centres"]);
    assert_eq!(c2.support.countries, ["AR", "CL"]);
    assert_eq!(c2.support.rooms.len(), 2);
    let staff = view(&r.s.w, r.s.who(fac), NOW).unwrap();
    assert_eq!((staff.country, staff.eligible), (None, false));
}

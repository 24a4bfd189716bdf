// `sqlx::migrate!` embeds src/store/migrations at compile time, but cargo does not know
// the macro reads that folder: without this, adding a migration file would not rebuild
// the crate until some Rust source changed.
fn main() {
    println!("cargo:rerun-if-changed=src/store/migrations");
}

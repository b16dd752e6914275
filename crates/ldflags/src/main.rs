//! `ldflags`: check, evaluate and watch LaunchDarkly flag files.
#![forbid(unsafe_code)]

fn main() {
    eprintln!("ldflags: not built yet");
    std::process::exit(2);
}

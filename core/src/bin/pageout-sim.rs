//! `pageout-sim`: run scenarios from the terminal.
fn main() {
    println!("pageout-sim {}", pageout_core::ENGINE_VERSION);
}

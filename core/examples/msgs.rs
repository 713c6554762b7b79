use pageout_core::scenario::link;
use pageout_core::Simulation;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut sim = Simulation::new(&link::decode(&args[1]).unwrap()).unwrap();
    sim.run();
    for l in sim.messages() {
        println!("{} {}", l.tick, l.text);
    }
}

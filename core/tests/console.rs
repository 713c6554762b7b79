//! The console prints every line; `/var/log/messages` is what syslogd makes of it.

use pageout_core::scenario::link;
use pageout_core::{msg, Simulation, HZ};

/// `N` of `last message repeated N times`.
fn repeated(text: &str) -> Option<u64> {
    text.strip_prefix("last message repeated ")?
        .strip_suffix(" times")?
        .parse()
        .ok()
}

#[test]
fn a_retry_loop_spews_on_the_console_and_is_folded_in_var_log_messages() {
    // the fixed kernel on 40 MB without recoverbufpages: the writers' emergency allocations fail
    // and are retried every 5 s, watched for ten minutes before a stall would be called
    let s =
        link::decode("#v=1&preset=dfly-2008-07-01&ram=40M&seed=9&window=600s&recoverbufpages=off")
            .unwrap();
    let mut sim = Simulation::new(&s).unwrap();
    sim.run();
    let console = sim.log();
    let messages = sim.messages();

    // "the console may spew": one line per failure, none folded
    let fails = console.iter().filter(|l| l.text == msg::EMERG_FAIL).count();
    assert_eq!(fails as u64, sim.stats().emerg_fails);
    assert!(fails >= 20, "{fails} failures");
    assert!(console.iter().all(|l| repeated(&l.text).is_none()));

    // syslogd writes the count as it goes (not once at the end), 30 s after the failure was
    // first written, then backing off to 120 s
    // the streak of failures after the last other line
    let other = messages
        .iter()
        .rposition(|l| l.text != msg::EMERG_FAIL && repeated(&l.text).is_none())
        .unwrap();
    let streak = &messages[other + 1..];
    let folds: Vec<u64> = streak
        .iter()
        .filter(|l| repeated(&l.text).is_some())
        .map(|l| l.tick)
        .collect();
    let first = streak[0].tick;
    assert_eq!(streak[0].text, msg::EMERG_FAIL);
    assert!(folds.len() >= 2, "{messages:#?}");
    assert!(folds[0] - first >= 30 * HZ, "{folds:?}");
    assert!(folds[1] - folds[0] >= 120 * HZ, "{folds:?}");
    assert!(messages.len() * 5 < console.len());

    // every console line is in the file once, as itself or counted, unless still pending
    let written: u64 = messages
        .iter()
        .map(|l| repeated(&l.text).unwrap_or(1))
        .sum();
    assert!(written <= console.len() as u64);
}

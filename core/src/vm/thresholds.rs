//! Boot-time thresholds, exactly `vm_pageout_free_page_calc()` and `vm_pageout()` (§2.3).

/// `MAXBSIZE / PAGE_SIZE`.
const MAXBSIZE_PAGES: u32 = 16;
/// `PQ_L2_SIZE` (page colours).
const PQ_L2_SIZE: u32 = 64;

/// The VM thresholds, in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmThresholds {
    pub v_page_count: u32,
    pub v_interrupt_free_min: u32,
    pub v_pageout_free_min: u32,
    pub v_free_reserved: u32,
    pub v_free_severe: u32,
    pub v_free_min: u32,
    pub v_free_target: u32,
    pub v_cache_min: u32,
    pub v_cache_max: u32,
    pub v_inactive_target: u32,
    /// `vm_pageout_page_count`: the pageout cluster.
    pub cluster: u32,
}

impl VmThresholds {
    /// `n` managed pages (`v_page_count`), `f0` free when the daemon starts.
    pub fn compute(n: u32, f0: u32) -> VmThresholds {
        let v_interrupt_free_min = 2;
        let cluster = if n < 2000 { 8 } else { 16 };
        let fmin0 = if n > 1024 { 4 + (n - 1024) / 200 } else { 4 };
        let v_pageout_free_min = 2 * MAXBSIZE_PAGES + v_interrupt_free_min;
        let v_free_reserved = cluster + v_pageout_free_min + n / 768 + PQ_L2_SIZE;
        let v_free_severe = fmin0 / 2 + v_free_reserved;
        let v_free_min = fmin0 + v_free_reserved;
        let v_free_target = if f0 > 6144 {
            4 * v_free_min + v_free_reserved
        } else {
            2 * v_free_min + v_free_reserved
        };
        let (v_cache_min, v_cache_max, inactive) = if f0 > 2048 {
            (v_free_target, 2 * v_free_target, 3 * v_free_target / 2)
        } else {
            (0, 0, f0 / 4)
        };
        VmThresholds {
            v_page_count: n,
            v_interrupt_free_min,
            v_pageout_free_min,
            v_free_reserved,
            v_free_severe,
            v_free_min,
            v_free_target,
            v_cache_min,
            v_cache_max,
            v_inactive_target: inactive.min(f0 / 3),
            cluster,
        }
    }

    /// Managed and boot-free pages for `ram_mb` of RAM: 95 % managed, 85 % free at boot.
    pub fn pages_for_ram(ram_mb: u32) -> (u32, u32) {
        let phys = ram_mb * 256;
        (
            phys / 100 * 95 + phys % 100 * 95 / 100,
            phys / 100 * 85 + phys % 100 * 85 / 100,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_match_the_table_of_section_2_3() {
        // RAM → (reserved, severe, min, target), kernel-2008.md §2.3
        for (ram, want) in [
            (64, (134, 172, 210, 974)),
            (128, (154, 231, 308, 1386)),
            (256, (195, 350, 505, 2215)),
            (512, (276, 586, 897, 3864)),
        ] {
            let (n, f0) = VmThresholds::pages_for_ram(ram);
            let t = VmThresholds::compute(n, f0);
            let got = (
                t.v_free_reserved,
                t.v_free_severe,
                t.v_free_min,
                t.v_free_target,
            );
            // the table assumes N ≈ 95 % of RAM, so allow a page of rounding
            let close = |a: u32, b: u32| a.abs_diff(b) <= 2;
            assert!(
                close(got.0, want.0)
                    && close(got.1, want.1)
                    && close(got.2, want.2)
                    && close(got.3, want.3),
                "{ram} MB: got {got:?}, table {want:?}"
            );
            assert_eq!(t.v_interrupt_free_min, 2);
            assert_eq!(t.v_pageout_free_min, 34);
            assert_eq!(t.cluster, 16);
            assert_eq!(t.v_cache_min, t.v_free_target);
            assert!(t.v_inactive_target <= f0 / 3);
        }
    }

    #[test]
    fn thresholds_are_ordered() {
        let (n, f0) = VmThresholds::pages_for_ram(128);
        let t = VmThresholds::compute(n, f0);
        assert!(t.v_interrupt_free_min < t.v_pageout_free_min);
        assert!(t.v_pageout_free_min < t.v_free_reserved);
        assert!(t.v_free_reserved < t.v_free_severe);
        assert!(t.v_free_severe < t.v_free_min);
        assert!(t.v_free_min < t.v_free_target);
    }

    #[test]
    fn tiny_machines_use_a_cluster_of_eight() {
        assert_eq!(VmThresholds::compute(1500, 1200).cluster, 8);
    }
}

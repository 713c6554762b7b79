//! Intrusive doubly linked lists over dense `u32` indices (the kernel's TAILQs) and a fixed-size
//! open-addressing index: O(1) moves and lookups, no allocation per operation.

/// "No element".
pub const NIL: u32 = u32::MAX;

/// An element that can sit on one list at a time.
pub trait Link {
    fn next(&self) -> u32;
    fn prev(&self) -> u32;
    fn set_next(&mut self, v: u32);
    fn set_prev(&mut self, v: u32);
}

/// `N` list heads over one element array.
#[derive(Clone, Debug)]
pub struct Lists<const N: usize> {
    heads: [u32; N],
    tails: [u32; N],
}

impl<const N: usize> Default for Lists<N> {
    fn default() -> Self {
        Lists {
            heads: [NIL; N],
            tails: [NIL; N],
        }
    }
}

impl<const N: usize> Lists<N> {
    pub fn head(&self, q: usize) -> u32 {
        self.heads[q]
    }

    pub fn push_tail<T: Link>(&mut self, items: &mut [T], q: usize, i: u32) {
        let tail = self.tails[q];
        items[i as usize].set_prev(tail);
        items[i as usize].set_next(NIL);
        if tail == NIL {
            self.heads[q] = i;
        } else {
            items[tail as usize].set_next(i);
        }
        self.tails[q] = i;
    }

    pub fn push_head<T: Link>(&mut self, items: &mut [T], q: usize, i: u32) {
        let head = self.heads[q];
        items[i as usize].set_next(head);
        items[i as usize].set_prev(NIL);
        if head == NIL {
            self.tails[q] = i;
        } else {
            items[head as usize].set_prev(i);
        }
        self.heads[q] = i;
    }

    /// Inserts `i` right after `after`, both on list `q`.
    pub fn insert_after<T: Link>(&mut self, items: &mut [T], q: usize, after: u32, i: u32) {
        let next = items[after as usize].next();
        items[i as usize].set_prev(after);
        items[i as usize].set_next(next);
        items[after as usize].set_next(i);
        if next == NIL {
            self.tails[q] = i;
        } else {
            items[next as usize].set_prev(i);
        }
    }

    /// Moves the run `first..=last` (contiguous on list `q`, in that order) to the tail: what
    /// `remove` + `push_tail` of each of its elements in turn does, in O(1).
    pub fn move_to_tail<T: Link>(&mut self, items: &mut [T], q: usize, first: u32, last: u32) {
        if self.tails[q] == last {
            return;
        }
        let (before, after) = (items[first as usize].prev(), items[last as usize].next());
        if before == NIL {
            self.heads[q] = after;
        } else {
            items[before as usize].set_next(after);
        }
        items[after as usize].set_prev(before);
        let tail = self.tails[q];
        items[tail as usize].set_next(first);
        items[first as usize].set_prev(tail);
        items[last as usize].set_next(NIL);
        self.tails[q] = last;
    }

    pub fn remove<T: Link>(&mut self, items: &mut [T], q: usize, i: u32) {
        let (next, prev) = (items[i as usize].next(), items[i as usize].prev());
        if prev == NIL {
            self.heads[q] = next;
        } else {
            items[prev as usize].set_next(next);
        }
        if next == NIL {
            self.tails[q] = prev;
        } else {
            items[next as usize].set_prev(prev);
        }
    }
}

/// Fixed-capacity linear-probing index from a 64-bit key to an element id; the key of an element
/// is recomputed from the element itself, so a slot holds only the id and how far the id sits
/// from its home slot (4 bytes: [`ID_BITS`] of id, the rest the distance, [`FAR`] and beyond
/// saturated). The distance lets a removal shift the entries after it back without reading
/// their elements.
#[derive(Clone, Debug)]
pub struct Index {
    slots: Vec<u32>,
}

/// Bits of a slot that hold the id (ids are below `2^ID_BITS - 1`).
const ID_BITS: u32 = 24;
const ID_MASK: u32 = (1 << ID_BITS) - 1;
/// The largest distance a slot stores; an entry that far from home or farther says `FAR`, and a
/// removal recomputes its home from the element.
const FAR: u32 = u32::MAX >> ID_BITS;

fn slot(id: u32, dist: usize) -> u32 {
    debug_assert!(id < ID_MASK, "id {id} does not fit an index slot");
    id | (dist.min(FAR as usize) as u32) << ID_BITS
}

impl Index {
    /// Room for `cap` slots (keep the load below ~0.7).
    pub fn new(cap: usize) -> Index {
        Index {
            slots: vec![NIL; cap.max(8)],
        }
    }

    fn home(&self, key: u64) -> usize {
        let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (((h >> 32) * self.slots.len() as u64) >> 32) as usize
    }

    fn step(&self, i: usize) -> usize {
        if i + 1 == self.slots.len() {
            0
        } else {
            i + 1
        }
    }

    pub fn get(&self, key: u64, key_of: impl Fn(u32) -> u64) -> u32 {
        let mut i = self.home(key);
        loop {
            let s = self.slots[i];
            if s == NIL {
                return NIL;
            }
            if key_of(s & ID_MASK) == key {
                return s & ID_MASK;
            }
            i = self.step(i);
        }
    }

    pub fn insert(&mut self, key: u64, id: u32) {
        let mut i = self.home(key);
        let mut dist = 0;
        while self.slots[i] != NIL {
            i = self.step(i);
            dist += 1;
        }
        self.slots[i] = slot(id, dist);
    }

    /// Removes `id` (stored under `key`) with backward-shift deletion.
    pub fn remove(&mut self, key: u64, id: u32, key_of: impl Fn(u32) -> u64) {
        let n = self.slots.len();
        let mut i = self.home(key);
        while self.slots[i] & ID_MASK != id {
            i = self.step(i);
        }
        let mut j = i;
        loop {
            j = self.step(j);
            let q = self.slots[j];
            if q == NIL {
                break;
            }
            // the entry at j may fill the hole at i unless its home lies after i: it is at least
            // as far from home as from the hole
            let gap = if i <= j { j - i } else { j + n - i };
            let mut dist = (q >> ID_BITS) as usize;
            if dist == FAR as usize {
                let k = self.home(key_of(q & ID_MASK));
                dist = if k <= j { j - k } else { j + n - k };
            }
            if dist >= gap {
                self.slots[i] = slot(q & ID_MASK, dist - gap);
                i = j;
            }
        }
        self.slots[i] = NIL;
    }

    pub fn memory_bytes(&self) -> usize {
        self.slots.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Default)]
    struct E {
        n: u32,
        p: u32,
    }
    impl Link for E {
        fn next(&self) -> u32 {
            self.n
        }
        fn prev(&self) -> u32 {
            self.p
        }
        fn set_next(&mut self, v: u32) {
            self.n = v
        }
        fn set_prev(&mut self, v: u32) {
            self.p = v
        }
    }

    fn walk(l: &Lists<1>, items: &[E]) -> Vec<u32> {
        let mut out = vec![];
        let mut i = l.head(0);
        while i != NIL {
            out.push(i);
            i = items[i as usize].n;
        }
        out
    }

    #[test]
    fn lists_keep_order_through_inserts_and_removals() {
        let mut items = vec![E::default(); 5];
        let mut l = Lists::<1>::default();
        for i in 0..3 {
            l.push_tail(&mut items, 0, i);
        }
        l.push_head(&mut items, 0, 3);
        l.insert_after(&mut items, 0, 0, 4);
        assert_eq!(walk(&l, &items), vec![3, 0, 4, 1, 2]);
        l.remove(&mut items, 0, 2);
        l.remove(&mut items, 0, 3);
        assert_eq!(walk(&l, &items), vec![0, 4, 1]);
    }

    #[test]
    fn moving_a_run_to_the_tail_is_requeueing_each_of_its_elements() {
        // every run of a 6-element list, against remove + push_tail one by one
        for first in 0..6u32 {
            for last in first..6 {
                let mut a = vec![E::default(); 6];
                let mut la = Lists::<1>::default();
                for i in 0..6 {
                    la.push_tail(&mut a, 0, i);
                }
                let (mut b, mut lb) = (a.clone(), la.clone());
                la.move_to_tail(&mut a, 0, first, last);
                for i in first..=last {
                    lb.remove(&mut b, 0, i);
                    lb.push_tail(&mut b, 0, i);
                }
                assert_eq!(walk(&la, &a), walk(&lb, &b), "run {first}..={last}");
                assert_eq!(la.tails, lb.tails);
                let back: Vec<u32> = {
                    let (mut out, mut i) = (vec![], la.tails[0]);
                    while i != NIL {
                        out.push(i);
                        i = a[i as usize].p;
                    }
                    out.into_iter().rev().collect()
                };
                assert_eq!(back, walk(&la, &a), "prev links of run {first}..={last}");
            }
        }
    }

    /// Crowded tables (clusters past `FAR`) and removals in every order: the index answers as a
    /// map does, and every slot's distance is its true distance from home.
    #[test]
    fn index_is_a_map_through_crowded_clusters() {
        for (cap, n) in [(300usize, 200u32), (64, 63), (300, 299), (1024, 1000)] {
            let keys: Vec<u64> = (0..u64::from(n)).map(|i| i * 7919 % 100_003).collect();
            let key_of = |id: u32| keys[id as usize];
            let mut ix = Index::new(cap);
            let mut live = vec![false; n as usize];
            let mut rng = 0x2545_f491_4f6c_dd1du64;
            for round in 0..4 * n {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let id = (rng % u64::from(n)) as u32;
                if live[id as usize] {
                    ix.remove(keys[id as usize], id, key_of);
                } else {
                    ix.insert(keys[id as usize], id);
                }
                live[id as usize] ^= true;
                if round % 17 == 0 {
                    for (j, &s) in ix.slots.iter().enumerate() {
                        if s == NIL {
                            continue;
                        }
                        let k = ix.home(key_of(s & ID_MASK));
                        let d = if k <= j {
                            j - k
                        } else {
                            j + ix.slots.len() - k
                        };
                        assert_eq!((s >> ID_BITS) as usize, d.min(FAR as usize), "slot {j}");
                    }
                }
            }
            for id in 0..n {
                let want = if live[id as usize] { id } else { NIL };
                assert_eq!(ix.get(keys[id as usize], key_of), want, "cap {cap} id {id}");
            }
        }
    }

    #[test]
    fn index_finds_everything_after_mixed_removals() {
        let keys: Vec<u64> = (0..200u64).map(|i| i * 7919 % 1000).collect();
        let mut ix = Index::new(300);
        for (id, &k) in keys.iter().enumerate() {
            ix.insert(k, id as u32);
        }
        let key_of = |id: u32| keys[id as usize];
        for id in (0..200u32).filter(|i| i % 3 == 0) {
            ix.remove(keys[id as usize], id, key_of);
        }
        for id in 0..200u32 {
            let want = if id % 3 == 0 { NIL } else { id };
            assert_eq!(ix.get(keys[id as usize], key_of), want, "id {id}");
        }
    }
}

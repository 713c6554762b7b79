//! Intrusive doubly linked lists over dense `u32` indices (the kernel's TAILQs) and a chunked
//! index from (object, index) to element: O(1) moves and lookups.

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

/// Slots in one chunk of an [`Index`]: 16 neighbouring indices share a cache line.
const CHUNK_BITS: u32 = 4;
const CHUNK: usize = 1 << CHUNK_BITS;

/// A map from (space, index) to an element id, for keys that cluster: the pages of one object
/// by page index, the buffers of one vnode by block. Each space has a directory of chunks, a
/// chunk holding the ids of [`CHUNK`] neighbouring indices, so a lookup is two loads and the
/// pages of one block share a chunk. A chunk is made when its first index is inserted and given
/// back when its last is removed, so the memory follows what is in the map (plus a directory
/// entry per [`CHUNK`] indices up to the largest inserted in each space). One id per key.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Per space, per run of [`CHUNK`] indices: the chunk holding them, or [`NIL`].
    dirs: Vec<Vec<u32>>,
    /// The chunks' slots, [`CHUNK`] per chunk.
    slots: Vec<u32>,
    /// Per chunk, how many of its slots hold an id.
    used: Vec<u8>,
    /// Chunks given back, to be reused.
    free: Vec<u32>,
}

impl Index {
    pub fn new() -> Index {
        Index::default()
    }

    fn chunk(&self, space: usize, index: u32) -> u32 {
        match self.dirs.get(space) {
            Some(dir) => dir
                .get((index >> CHUNK_BITS) as usize)
                .copied()
                .unwrap_or(NIL),
            None => NIL,
        }
    }

    /// The id under (`space`, `index`), or [`NIL`].
    pub fn get(&self, space: usize, index: u32) -> u32 {
        let c = self.chunk(space, index);
        if c == NIL {
            return NIL;
        }
        self.slots[c as usize * CHUNK + (index as usize & (CHUNK - 1))]
    }

    /// Puts `id` under (`space`, `index`), which holds none.
    pub fn insert(&mut self, space: usize, index: u32, id: u32) {
        debug_assert_ne!(id, NIL);
        if self.dirs.len() <= space {
            self.dirs.resize(space + 1, Vec::new());
        }
        let d = (index >> CHUNK_BITS) as usize;
        if self.dirs[space].len() <= d {
            self.dirs[space].resize(d + 1, NIL);
        }
        let mut c = self.dirs[space][d];
        if c == NIL {
            c = match self.free.pop() {
                Some(c) => c,
                None => {
                    self.slots.extend([NIL; CHUNK]);
                    self.used.push(0);
                    (self.used.len() - 1) as u32
                }
            };
            self.dirs[space][d] = c;
        }
        let slot = &mut self.slots[c as usize * CHUNK + (index as usize & (CHUNK - 1))];
        debug_assert_eq!(*slot, NIL, "({space}, {index}) is taken");
        *slot = id;
        self.used[c as usize] += 1;
    }

    /// Takes `id` out from under (`space`, `index`).
    pub fn remove(&mut self, space: usize, index: u32, id: u32) {
        let c = self.chunk(space, index);
        debug_assert_ne!(c, NIL, "({space}, {index}) holds nothing");
        let slot = &mut self.slots[c as usize * CHUNK + (index as usize & (CHUNK - 1))];
        debug_assert_eq!(*slot, id, "({space}, {index}) holds another id");
        *slot = NIL;
        self.used[c as usize] -= 1;
        if self.used[c as usize] == 0 {
            self.dirs[space][(index >> CHUNK_BITS) as usize] = NIL;
            self.free.push(c);
        }
    }

    pub fn memory_bytes(&self) -> usize {
        self.dirs.iter().map(|d| d.capacity() * 4).sum::<usize>()
            + self.slots.capacity() * 4
            + self.used.capacity()
            + self.free.capacity() * 4
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

    /// Inserts and removals in every order, over spaces, chunks and directories that come and
    /// go: the index answers as a map does, and gives back every chunk it empties.
    #[test]
    fn index_is_a_map() {
        use std::collections::BTreeMap;
        let mut ix = Index::new();
        let mut map = BTreeMap::new();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for round in 0..20_000u32 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let space = (rng % 5) as usize;
            // mostly clustered indices, some far apart
            let index = if rng >> 60 == 0 {
                (rng >> 8) as u32 % 2_000_000
            } else {
                (rng >> 8) as u32 % 300
            };
            match map.remove(&(space, index)) {
                Some(id) => ix.remove(space, index, id),
                None => {
                    ix.insert(space, index, round);
                    map.insert((space, index), round);
                }
            }
            if round % 997 == 0 {
                for space in 0..6 {
                    for index in (0..300).chain([1_999_999, 5_000_000]) {
                        let want = map.get(&(space, index)).copied().unwrap_or(NIL);
                        assert_eq!(ix.get(space, index), want, "({space}, {index})");
                    }
                }
                let chunks: std::collections::BTreeSet<_> =
                    map.keys().map(|&(s, i)| (s, i >> CHUNK_BITS)).collect();
                assert_eq!(ix.used.len() - ix.free.len(), chunks.len(), "chunks in use");
            }
        }
        for (&(space, index), &id) in &map {
            assert_eq!(ix.get(space, index), id);
        }
    }
}

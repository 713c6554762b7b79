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
/// A directory entry with this bit names a chunk; without it (and not [`NIL`]) it is the one
/// index of its run that holds an id: the index's offset in the run above [`ID_BITS`] of id.
const IS_CHUNK: u32 = 1 << 31;
const ID_BITS: u32 = 24;
const ID_MASK: u32 = (1 << ID_BITS) - 1;

fn inline(offset: usize, id: u32) -> u32 {
    debug_assert!(id < ID_MASK, "id {id} does not fit an index entry");
    (offset as u32) << ID_BITS | id
}

/// A map from (space, index) to an element id, for keys that cluster: the pages of one object
/// by page index, the buffers of one vnode by block. Each space has a directory with an entry
/// per [`CHUNK`] neighbouring indices: the one id of the run inline, or a chunk with a slot per
/// index of the run. A lookup is one or two loads, and the pages of one block share a chunk (a
/// cache line). A chunk is made when a run's second index is inserted and given back when one is
/// left, so the chunks follow what is in the map: about 4 bytes an id where runs are full, none
/// where they hold one, 32 where they hold two (a mapping touched at random). The directories
/// follow the files instead: 4 bytes per [`CHUNK`] indices up to the largest inserted in each
/// space, kept for the run (they grow by an eighth at least, so a file written from its start
/// costs few copies). One id per key.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Per space, per run of [`CHUNK`] indices: [`NIL`], an inline id or a chunk.
    dirs: Vec<Vec<u32>>,
    /// The chunks.
    chunks: Vec<Chunk>,
    /// Per chunk, how many of its slots hold an id.
    used: Vec<u8>,
    /// Chunks given back, to be reused.
    free: Vec<u32>,
}

/// The slots of one run of [`CHUNK`] indices ([`NIL`] where none), on a cache line of their own.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
struct Chunk([u32; CHUNK]);

/// Grows `v` by `n` elements of `fill`, by an eighth at least, so that the memory stays close to
/// what is used and the copies stay amortised.
fn grow<T: Copy>(v: &mut Vec<T>, n: usize, fill: T) {
    if v.len() + n > v.capacity() {
        v.reserve_exact(n.max(v.len() / 8));
    }
    v.resize(v.len() + n, fill);
}

impl Index {
    pub fn new() -> Index {
        Index::default()
    }

    fn dir_entry(&self, space: usize, index: u32) -> u32 {
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
        let e = self.dir_entry(space, index);
        let offset = index as usize & (CHUNK - 1);
        if e == NIL {
            NIL
        } else if e & IS_CHUNK != 0 {
            self.chunks[(e & !IS_CHUNK) as usize].0[offset]
        } else if (e >> ID_BITS) as usize == offset {
            e & ID_MASK
        } else {
            NIL
        }
    }

    /// Puts `id` under (`space`, `index`), which holds none.
    pub fn insert(&mut self, space: usize, index: u32, id: u32) {
        debug_assert_eq!(self.get(space, index), NIL, "({space}, {index}) is taken");
        if self.dirs.len() <= space {
            self.dirs.resize(space + 1, Vec::new());
        }
        let d = (index >> CHUNK_BITS) as usize;
        if self.dirs[space].len() <= d {
            let n = d + 1 - self.dirs[space].len();
            grow(&mut self.dirs[space], n, NIL);
        }
        let offset = index as usize & (CHUNK - 1);
        let e = self.dirs[space][d];
        if e == NIL {
            self.dirs[space][d] = inline(offset, id);
            return;
        }
        let c = if e & IS_CHUNK != 0 {
            (e & !IS_CHUNK) as usize
        } else {
            // the run's second id: it gets a chunk
            let c = match self.free.pop() {
                Some(c) => c as usize,
                None => {
                    grow(&mut self.chunks, 1, Chunk([NIL; CHUNK]));
                    grow(&mut self.used, 1, 0);
                    self.used.len() - 1
                }
            };
            self.chunks[c].0[(e >> ID_BITS) as usize] = e & ID_MASK;
            self.used[c] = 1;
            self.dirs[space][d] = IS_CHUNK | c as u32;
            c
        };
        self.chunks[c].0[offset] = id;
        self.used[c] += 1;
    }

    /// Takes `id` out from under (`space`, `index`).
    pub fn remove(&mut self, space: usize, index: u32, id: u32) {
        debug_assert_eq!(
            self.get(space, index),
            id,
            "({space}, {index}) holds another id"
        );
        let d = (index >> CHUNK_BITS) as usize;
        let e = self.dirs[space][d];
        if e & IS_CHUNK == 0 {
            self.dirs[space][d] = NIL;
            return;
        }
        let c = (e & !IS_CHUNK) as usize;
        let run = &mut self.chunks[c].0;
        run[index as usize & (CHUNK - 1)] = NIL;
        self.used[c] -= 1;
        if self.used[c] == 1 {
            // one left: it goes back inline, and the chunk back to the pool
            let offset = run.iter().position(|&x| x != NIL).expect("one id left");
            self.dirs[space][d] = inline(offset, run[offset]);
            run.fill(NIL);
            self.used[c] = 0;
            self.free.push(c as u32);
        }
    }

    pub fn memory_bytes(&self) -> usize {
        self.dirs.iter().map(|d| d.capacity() * 4).sum::<usize>()
            + self.chunks.capacity() * size_of::<Chunk>()
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

    /// Inserts and removals in every order, over spaces, runs that take a chunk and give it back
    /// and directories that grow: the index answers as a map does, keeps a run of one id inline
    /// and loses no chunk.
    #[test]
    fn index_is_a_map() {
        use std::collections::BTreeMap;
        let mut ix = Index::new();
        let mut map = BTreeMap::new();
        let mut inlined = false;
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
                // crowded for a while, then spread thin: runs fill up and empty out
                (rng >> 8) as u32 % if (round / 2_500) % 2 == 0 { 300 } else { 5_000 }
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
                // a run with one id holds it inline, one with more has a chunk that counts them;
                // no chunk is lost
                let mut runs = BTreeMap::new();
                for &(s, i) in map.keys() {
                    *runs.entry((s, i >> CHUNK_BITS)).or_insert(0u8) += 1;
                }
                let mut chunks = 0;
                for (&(s, r), &n) in &runs {
                    let e = ix.dirs[s][r as usize];
                    if n == 1 {
                        assert_eq!(e & IS_CHUNK, 0, "({s}, run {r}) holds one id");
                        inlined = true;
                    } else {
                        assert_ne!(e & IS_CHUNK, 0, "({s}, run {r}) holds {n} ids");
                        assert_eq!(ix.used[(e & !IS_CHUNK) as usize], n, "({s}, run {r})");
                        chunks += 1;
                    }
                }
                assert_eq!(ix.used.len() - ix.free.len(), chunks, "chunks in use");
            }
        }
        for (&(space, index), &id) in &map {
            assert_eq!(ix.get(space, index), id);
        }
        assert!(inlined, "some run held one id at a check");
    }

    /// A run filled and emptied one index at a time: inline with one id, a chunk with two to
    /// sixteen, inline again, then nothing, every id found throughout and the chunk given back.
    #[test]
    fn a_run_takes_a_chunk_from_its_second_id_to_its_second_last() {
        let mut ix = Index::new();
        let order: Vec<u32> = (0..16).map(|i| (i * 7) % 16).collect();
        for (n, &o) in order.iter().enumerate() {
            ix.insert(1, 5 * 16 + o, 100 + o);
            assert_eq!(ix.dirs[1][5] & IS_CHUNK != 0, n >= 1, "{} held", n + 1);
        }
        for (n, &o) in order.iter().enumerate() {
            ix.remove(1, 5 * 16 + o, 100 + o);
            let left = 15 - n;
            match left {
                0 => assert_eq!(ix.dirs[1][5], NIL),
                1 => assert_eq!(ix.dirs[1][5] & IS_CHUNK, 0),
                _ => assert_ne!(ix.dirs[1][5] & IS_CHUNK, 0, "{left} left"),
            }
            for &p in &order[n + 1..] {
                assert_eq!(ix.get(1, 5 * 16 + p), 100 + p, "{left} left");
            }
            assert_eq!(ix.get(1, 5 * 16 + o), NIL);
        }
        assert_eq!(ix.free.len(), ix.used.len());
    }
}

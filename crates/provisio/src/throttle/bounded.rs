//! A keyed state store for `governor` that holds at most a set number of keys.
//!
//! `governor`'s own keyed stores add every key they are asked about, so a caller who can choose
//! keys (a client address, for instance) could make them grow without end between two sweeps.
//! This store wraps `governor`'s `DashMap` store and, once it holds its cap of keys, sends every
//! key it does not already hold to what [`Overflow`] says: one shared state, or no state at all.
//! A key it holds is never pushed out by new ones; it leaves only when `retain_recent` finds its
//! state no different from a fresh one (its bucket full again), so a refused key cannot be made
//! to forget its refusal by flooding the store with others.
//!
//! Written here because `governor` has no bounded store; the GCRA arithmetic and the atomic
//! updates stay `governor`'s (both the map and the overflow state are its types).

use std::fmt;
use std::hash::Hash;

use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::{InMemoryState, NotKeyed, StateStore};

/// What happens to a key that arrives when the store is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// All such keys share one state, under the same quota as a single key.
    Shared,
    /// Such keys are not counted: each is treated as a fresh key and admitted.
    Admit,
}

/// A `DashMap` store of at most `cap` keys (a few more while inserts race: each thread checks
/// the size before its insert).
pub(crate) struct Bounded<K: Hash + Eq + Clone> {
    map: DashMapStateStore<K>,
    cap: usize,
    overflow: Overflow,
    shared: InMemoryState,
}

impl<K: Hash + Eq + Clone> Bounded<K> {
    /// An empty store of at most `cap` keys.
    pub(crate) fn new(cap: usize, overflow: Overflow) -> Self {
        Bounded {
            map: DashMapStateStore::default(),
            cap,
            overflow,
            shared: InMemoryState::default(),
        }
    }

    /// Whether the store holds its cap of keys.
    pub(crate) fn full(&self) -> bool {
        self.map.len() >= self.cap
    }
}

impl<K: Hash + Eq + Clone> fmt::Debug for Bounded<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bounded")
            .field("keys", &self.map.len())
            .field("cap", &self.cap)
            .field("overflow", &self.overflow)
            .finish()
    }
}

impl<K: Hash + Eq + Clone> StateStore for Bounded<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        if self.map.contains_key(key) || !self.full() {
            return self.map.measure_and_replace(key, f);
        }
        match self.overflow {
            Overflow::Shared => self.shared.measure_and_replace(&NotKeyed::NonKey, f),
            // A fresh key's decision, whose new state is dropped.
            Overflow::Admit => f(None).map(|(outcome, _)| outcome),
        }
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for Bounded<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        self.map.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        self.map.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

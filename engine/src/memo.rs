//! A value worked out from a key and kept until the key changes: the
//! voices' filter coefficients and the effects' coefficients and gains,
//! which come from library calls (`tan`, `powf`, `exp`) and from inputs that
//! hold still for many blocks.

/// The last key and the value worked out from it. Keys compare with
/// `PartialEq`: a float key that is NaN never matches (its value is worked
/// out every time); key on `f32::to_bits` where NaN should match itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Memo<K, V> {
    last: Option<(K, V)>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Self { last: None }
    }
}

impl<K: PartialEq + Copy, V: Copy> Memo<K, V> {
    /// `work(key)`, or the value kept from the last call with the same key.
    #[inline]
    pub(crate) fn get(&mut self, key: K, work: impl FnOnce(K) -> V) -> V {
        match self.last {
            Some((k, v)) if k == key => v,
            _ => {
                let v = work(key);
                self.last = Some((key, v));
                v
            }
        }
    }
}

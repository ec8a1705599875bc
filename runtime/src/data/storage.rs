//! Column storage that is either owned by the host or lent by a source
//! plugin (ABI 1.2, `GcSourceV1::borrow`), seen by the rest of the runtime
//! as a plain slice (`Deref<Target = [T]>`).
//!
//! A lent column keeps what lent it alive (the open source state and so its
//! library, through [`crate::plugins::LentTable`], or a memory map), so a
//! memory-mapped file of a billion rows is drawn without a copy and freed
//! only when the last table, frame or cache entry using it drops.

#![allow(unsafe_code)] // lent columns are raw pointers kept alive by their lender

use std::any::Any;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Contiguous immutable values, owned or lent. Cloning is cheap (an `Arc`).
pub struct Storage<T: 'static> {
    ptr: *const T,
    len: usize,
    keep: Keep<T>,
}

/// What keeps the memory behind `ptr` alive.
enum Keep<T: 'static> {
    Owned(Arc<[T]>),
    /// A vector taken over as it is: `Arc<[T]>::from(Vec)` would copy every
    /// value into a new allocation, for a moment twice a column's memory
    /// (800 MB more per column of 100 M rows while a table loads).
    OwnedVec(Arc<Vec<T>>),
    Lent(Arc<dyn Any + Send + Sync>),
}

impl<T: 'static> Clone for Keep<T> {
    fn clone(&self) -> Self {
        match self {
            Keep::Owned(a) => Keep::Owned(a.clone()),
            Keep::OwnedVec(v) => Keep::OwnedVec(v.clone()),
            Keep::Lent(k) => Keep::Lent(k.clone()),
        }
    }
}

impl<T: 'static> Clone for Storage<T> {
    fn clone(&self) -> Self {
        Storage {
            ptr: self.ptr,
            len: self.len,
            keep: self.keep.clone(),
        }
    }
}

// SAFETY: the memory is immutable for as long as `keep` lives (owned: an
// `Arc<[T]>` or `Arc<Vec<T>>`; lent: the lender's contract), and `keep` is Send + Sync, so a
// `Storage` may move to and be read from any thread when `T` may.
unsafe impl<T: Send + Sync + 'static> Send for Storage<T> {}
// SAFETY: as above; `&Storage` only reads.
unsafe impl<T: Send + Sync + 'static> Sync for Storage<T> {}

impl<T: 'static> Storage<T> {
    /// Values lent by `keeper`, which keeps `len` values at `ptr` valid and
    /// unchanged for as long as it lives.
    ///
    /// # Safety
    /// `ptr` is non-null and aligned (or `len == 0`), points to `len`
    /// initialised values of `T` that `keeper` keeps valid and unchanged
    /// until it drops, and `len * size_of::<T>() <= isize::MAX`.
    pub unsafe fn lent(ptr: *const T, len: usize, keeper: Arc<dyn Any + Send + Sync>) -> Self {
        let ptr = if len == 0 {
            std::ptr::NonNull::<T>::dangling().as_ptr().cast_const()
        } else {
            ptr
        };
        Storage {
            ptr,
            len,
            keep: Keep::Lent(keeper),
        }
    }

    /// Whether the values are lent by a source rather than owned by the host.
    pub fn is_lent(&self) -> bool {
        matches!(self.keep, Keep::Lent(_))
    }

    /// The values as a slice.
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: owned: `ptr`/`len` come from the `Arc<[T]>` or the
        // vector held in `keep` (its heap buffer never moves or changes);
        // lent: guaranteed by the caller of `lent` while `keep` lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl<T: 'static> Deref for Storage<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: 'static> AsRef<[T]> for Storage<T> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: 'static> From<Arc<[T]>> for Storage<T> {
    fn from(values: Arc<[T]>) -> Self {
        Storage {
            ptr: values.as_ptr(),
            len: values.len(),
            keep: Keep::Owned(values),
        }
    }
}

impl<T: 'static> From<Vec<T>> for Storage<T> {
    /// Takes the vector's buffer without copying it (spare capacity is
    /// given back first; for a large buffer the allocator shrinks it in
    /// place).
    fn from(mut values: Vec<T>) -> Self {
        values.shrink_to_fit();
        let values = Arc::new(values);
        Storage {
            ptr: values.as_ptr(),
            len: values.len(),
            keep: Keep::OwnedVec(values),
        }
    }
}

impl<T: Clone + 'static> From<&[T]> for Storage<T> {
    fn from(values: &[T]) -> Self {
        Arc::<[T]>::from(values).into()
    }
}

impl<T: fmt::Debug + 'static> fmt::Debug for Storage<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Like the slice, but a billion lent values are not worth printing.
        if self.len > 64 {
            return write!(
                f,
                "[{} values, {}]",
                self.len,
                if self.is_lent() { "lent" } else { "owned" }
            );
        }
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<T: PartialEq + 'static> PartialEq for Storage<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts drops, so a test can see when the lender goes.
    struct Lender {
        values: Vec<f64>,
        dropped: Arc<AtomicUsize>,
    }
    impl Drop for Lender {
        fn drop(&mut self) {
            self.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn owned_storage_reads_as_its_vec() {
        let s: Storage<f64> = vec![1.0, 2.0, 3.0].into();
        assert!(!s.is_lent());
        assert_eq!(&s[..], &[1.0, 2.0, 3.0]);
        assert_eq!(s.iter().sum::<f64>(), 6.0);
        let c = s.clone();
        assert_eq!(c.as_ptr(), s.as_ptr(), "a clone shares the values");
    }

    #[test]
    fn owned_storage_takes_a_vec_without_copying_it() {
        let v: Vec<i64> = (0..100_000).collect();
        let buffer = v.as_ptr();
        let s: Storage<i64> = v.into();
        assert_eq!(s.as_ptr(), buffer, "the values were copied");
        assert!(!s.is_lent());
        assert_eq!(s.len(), 100_000);
        assert_eq!(s[99_999], 99_999);
        let empty: Storage<f64> = Vec::new().into();
        assert!(empty.is_empty());
    }

    #[test]
    fn lent_storage_keeps_its_lender_alive_until_the_last_clone_drops() {
        let dropped = Arc::new(AtomicUsize::new(0));
        let lender = Arc::new(Lender {
            values: vec![4.0, 5.0],
            dropped: dropped.clone(),
        });
        let (ptr, len) = (lender.values.as_ptr(), lender.values.len());
        // SAFETY: the lender owns the vector and never changes it.
        let s = unsafe { Storage::lent(ptr, len, lender) };
        let c = s.clone();
        drop(s);
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        assert!(c.is_lent());
        assert_eq!(&c[..], &[4.0, 5.0]);
        drop(c);
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn empty_lent_storage_is_an_empty_slice() {
        // SAFETY: zero values; the pointer is never read.
        let s: Storage<i64> = unsafe { Storage::lent(std::ptr::null(), 0, Arc::new(())) };
        assert!(s.is_empty());
    }
}

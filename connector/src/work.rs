//! Work on many files at once.

use std::sync::Mutex;

/// Runs `f` on every item with up to `threads` threads at once; the results, in no particular
/// order.
pub fn in_parallel<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let queue = Mutex::new(items.into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some(item) = next else { break };
                let result = f(item);
                if let Ok(mut r) = results.lock() {
                    r.push(result);
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_item_is_worked_on_once() {
        let mut got = super::in_parallel((0..100).collect(), 4, |i: u32| i * 2);
        got.sort_unstable();
        assert_eq!(got, (0..100).map(|i| i * 2).collect::<Vec<_>>());
    }
}

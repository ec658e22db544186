//! Kernel requests run on a helper thread while JS goes on, joined later by the id they were given. For a
//! request whose cost is a wait inside the kernel: deleting a device blocks its sender for an RCU grace
//! period (about 10 ms), which a plugin's DEL can spend releasing the IPAM lease instead.

use crate::error::{Error, Result};
use crate::sys;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::thread::JoinHandle;

static NEXT_ID: AtomicU32 = AtomicU32::new(1);
static PENDING: Mutex<Vec<(u32, JoinHandle<Result<()>>)>> = Mutex::new(Vec::new());

/// Start `job` on a new thread; the returned id is for `wait`.
pub fn start(job: impl FnOnce() -> Result<()> + Send + 'static) -> Result<u32> {
    let handle = std::thread::Builder::new().spawn(job).map_err(Error::from)?;
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push((id, handle));
    Ok(id)
}

/// Join the request `id` started and return what it returned. An unknown id (never started, or already
/// waited for) is EINVAL.
pub fn wait(id: u32) -> Result<()> {
    let handle = {
        let mut pending = PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let at = pending.iter().position(|(pending_id, _)| *pending_id == id);
        at.map(|at| pending.swap_remove(at).1)
    };
    match handle {
        None => Err(Error::os(sys::EINVAL).with_detail(format!("no request {} is running", id))),
        Some(handle) => handle.join().unwrap_or_else(|_| Err(Error::os(sys::EIO).with_detail("request thread panicked"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_job_is_waited_for_once_with_its_result() {
        let ok = start(|| Ok(())).unwrap();
        let failing = start(|| Err(Error::os(sys::ENODEV))).unwrap();
        assert_eq!(wait(failing).unwrap_err().errno, sys::ENODEV);
        wait(ok).unwrap();
        assert_eq!(wait(ok).unwrap_err().errno, sys::EINVAL);
    }
}

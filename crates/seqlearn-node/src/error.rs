//! Maps core errors (and panics) to JavaScript errors. The message starts with a stable code in
//! brackets, e.g. `[ERR_SEQLEARN_SHAPE] h0: expected shape [2, 4, 6], got [4, 2, 6]`; the
//! TypeScript layer turns the code into an `Error` subclass with a `code` property.

use napi::{Error, Status};

/// Converts a core error.
pub fn to_js(e: seqlearn_core::Error) -> Error {
    let status = match e {
        seqlearn_core::Error::InvalidArgument { .. } | seqlearn_core::Error::Shape { .. } => Status::InvalidArg,
        _ => Status::GenericFailure,
    };
    Error::new(status, format!("[{}] {e}", e.code()))
}

/// An invalid-argument error built in the binding.
pub fn invalid(arg: &str, message: impl std::fmt::Display) -> Error {
    to_js(seqlearn_core::Error::invalid(arg, message.to_string()))
}

/// Runs `f`, turning a panic into a JavaScript error instead of aborting the process.
pub fn guard<T>(what: &str, f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::new(Status::GenericFailure, format!("[ERR_SEQLEARN_INTERNAL] {what}: internal error (Rust panic: {msg}); please report it")))
        }
    }
}

//! The error every operation returns: an errno (with a symbolic code) plus what the request was and what it
//! was about, so JS gets `errno`, `code`, `request`, `subject` and a readable message.

use crate::sys;
use std::io;

#[derive(Debug, Clone)]
pub struct Error {
    pub errno: i32,
    /// Overrides the errno's own name, e.g. 'ENOTNS' for "this file is not a network namespace".
    pub code: Option<&'static str>,
    /// Extra text: the kernel's extended ack, or why an argument was rejected.
    pub detail: Option<String>,
    pub request: &'static str,
    pub subject: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn os(errno: i32) -> Error {
        Error { errno, code: None, detail: None, request: "", subject: None }
    }
    /// A bad argument: EINVAL with an explanation.
    pub fn invalid(detail: impl Into<String>) -> Error {
        Error { detail: Some(detail.into()), ..Error::os(sys::EINVAL) }
    }
    pub fn with_code(mut self, code: &'static str) -> Error {
        self.code = Some(code);
        self
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Error {
        self.detail = Some(detail.into());
        self
    }
    /// Name the request and its object, unless an inner step already did.
    pub fn about(mut self, request: &'static str, subject: impl Into<String>) -> Error {
        if self.request.is_empty() {
            self.request = request;
        }
        if self.subject.is_none() {
            let subject = subject.into();
            if !subject.is_empty() {
                self.subject = Some(subject);
            }
        }
        self
    }

    pub fn code_name(&self) -> &'static str {
        self.code.unwrap_or_else(|| errno_name(self.errno))
    }

    /// "linkAdd veth0: File exists (kernel: ...)"
    pub fn message(&self) -> String {
        let mut text = String::new();
        text.push_str(if self.request.is_empty() { "netlink" } else { self.request });
        if let Some(subject) = &self.subject {
            text.push(' ');
            text.push_str(subject);
        }
        text.push_str(": ");
        if self.code == Some("ENOTNS") {
            text.push_str("not a network namespace");
        } else {
            text.push_str(&strerror(self.errno));
        }
        if let Some(detail) = &self.detail {
            text.push_str(" (");
            text.push_str(detail);
            text.push(')');
        }
        text
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::os(err.raw_os_error().unwrap_or(sys::EIO))
    }
}

/// The C library's description, without std's " (os error N)" suffix.
pub fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

pub fn errno_name(errno: i32) -> &'static str {
    match errno {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        6 => "ENXIO",
        7 => "E2BIG",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        18 => "EXDEV",
        19 => "ENODEV",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        25 => "ENOTTY",
        27 => "EFBIG",
        28 => "ENOSPC",
        30 => "EROFS",
        31 => "EMLINK",
        32 => "EPIPE",
        34 => "ERANGE",
        35 => "EDEADLK",
        36 => "ENAMETOOLONG",
        37 => "ENOLCK",
        38 => "ENOSYS",
        39 => "ENOTEMPTY",
        40 => "ELOOP",
        42 => "ENOMSG",
        54 => "EXFULL",
        61 => "ENODATA",
        71 => "EPROTO",
        74 => "EBADMSG",
        75 => "EOVERFLOW",
        90 => "EMSGSIZE",
        93 => "EPROTONOSUPPORT",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        98 => "EADDRINUSE",
        99 => "EADDRNOTAVAIL",
        100 => "ENETDOWN",
        101 => "ENETUNREACH",
        105 => "ENOBUFS",
        110 => "ETIMEDOUT",
        113 => "EHOSTUNREACH",
        114 => "EALREADY",
        _ => "EUNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn message_names_request_subject_and_reason() {
        let err = Error::os(sys::EEXIST).with_detail("kernel says so").about("linkAdd", "veth0");
        assert_eq!(err.code_name(), "EEXIST");
        assert_eq!(err.message(), "linkAdd veth0: File exists (kernel says so)");
        let inner_first = Error::os(sys::ENODEV).about("linkGet", "x").about("linkSetMaster", "y");
        assert_eq!((inner_first.request, inner_first.subject.as_deref()), ("linkGet", Some("x")));
        assert_eq!(Error::os(sys::EINVAL).with_code("ENOTNS").code_name(), "ENOTNS");
    }
}

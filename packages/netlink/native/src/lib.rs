//! rtnetlink-node: an N-API addon (no crate dependencies) giving Node/Bun synchronous rtnetlink
//! (links, addresses, routes, bridge ports and VLANs), nfnetlink (nftables), network namespaces, sysctls,
//! flock, and the file primitives a plugin's per-call path needs (stdin, a file's identity, the files of
//! host-local's store), so that no plugin loads node:fs.
//!
//! Layout (layers, top to bottom):
//! - `napi.rs`          hand-declared Node-API, a safe `Env`/`Args` wrapper, `Export` and `register`.
//! - `js/args.rs`       argument readers (JS value -> Rust, EINVAL naming the argument), `Opts` for option
//!                      objects, and the shared link lookups (`resolve_index`, `fetch_link`).
//! - `js/build.rs`      JS object builders (Rust struct -> plain JS object with the fields types.ts declares).
//! - `handlers/*.rs`    the JS-callable functions, one module per domain (socket, link, vlan, addr, route,
//!                      netns, sys, file, nft, conntrack). Each has `pub static EXPORTS`,
//!                      and `handlers/mod.rs::TABLES` lists them: adding a domain = `pub mod x;` + one line.
//! - `link.rs`, `addr.rs`, `route.rs`, `vlan.rs` (and `nft/`, `conntrack.rs`): message encoders/decoders over `nl.rs`,
//!                      pure code, tested with golden bytes captured from iproute2 and the kernel
//!                      (`golden.rs`).
//! - `socket.rs`        one netlink socket of a `Protocol` (Route, Netfilter): request/ack, single reply, dump;
//!                      `send_bytes`/`receive`/`next_seq` for other shapes (batches).
//! - `netns.rs`, `files.rs`  namespaces (never-blocking open), sysctls, flock; whole-fd reads, file identity,
//!                      the lease store's file operations (whole-file read/write, list, stat, times, ...).
//! - `sys.rs`           hand-declared libc: syscalls, named constants (errno, open flags, NETLINK_*, SO_*BUF*).
//! - `error.rs`         the Error every layer returns: errno + code + request + subject.

/// An `Export` whose JS name is written once (the NUL-terminated copy is made at compile time).
#[cfg(not(test))]
macro_rules! export {
    ($name:literal, $handler:ident) => {
        $crate::napi::Export {
            name: $name,
            c_name: match std::ffi::CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) {
                Ok(c) => c,
                Err(_) => panic!(),
            },
            handler: $handler,
        }
    };
}

pub mod addr;
pub mod background;
pub mod conntrack;
pub mod error;
pub mod files;
pub mod link;
pub mod netns;
pub mod nft;
pub mod nl;
pub mod route;
pub mod socket;
pub mod sys;
pub mod vlan;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod golden;

// The N-API layer references symbols only a JS runtime provides, so it is left out of `cargo test`.
#[cfg(not(test))]
mod handlers;
#[cfg(not(test))]
mod js;
#[cfg(not(test))]
mod napi;

/// Node/Bun call this when the addon is loaded (the symbol NAPI_MODULE_INIT defines in C).
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn napi_register_module_v1(env: napi::napi_env, exports: napi::napi_value) -> napi::napi_value {
    napi::register(env, exports, handlers::TABLES)
}

/// The Node-API version this addon needs (8: Node >= 12.22; every function used is from version 1).
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    8
}

//! rtnetlink-node: an N-API addon (no crate dependencies) giving Node/Bun synchronous rtnetlink
//! (links, addresses, routes, bridge ports and VLANs), network namespaces, sysctls and flock.
//!
//! Layers: `napi` (hand-declared Node-API) -> `api` (JS-facing functions) -> `link`/`addr`/`route`/`vlan`
//! (message encoders/decoders over `nl`) -> `socket` (request/ack/dump) -> `sys` (hand-declared libc).

pub mod addr;
pub mod error;
pub mod link;
pub mod netns;
pub mod nl;
pub mod route;
pub mod socket;
pub mod sys;
pub mod vlan;

// The N-API layer references symbols only a JS runtime provides, so it is left out of `cargo test`.
#[cfg(not(test))]
mod api;
#[cfg(not(test))]
mod napi;

/// Node/Bun call this when the addon is loaded (the symbol NAPI_MODULE_INIT defines in C).
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn napi_register_module_v1(env: napi::napi_env, exports: napi::napi_value) -> napi::napi_value {
    napi::register(env, exports, api::EXPORTS)
}

/// The Node-API version this addon needs (8: Node >= 12.22; every function used is from version 1).
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    8
}

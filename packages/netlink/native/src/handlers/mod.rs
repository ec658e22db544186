//! The JS-facing functions, one module per domain. Each module declares `pub static EXPORTS: &[Export]`
//! (its JS names and handlers, written with `export!`); `TABLES` below lists every module's table, and
//! `lib.rs` registers them all on the addon's exports object. A new domain = a new module here + one line
//! in `TABLES`.
//!
//! Conventions: the first argument of every socket operation is the socket fd from `open`; argument
//! readers are in `crate::js::args`, JS object builders in `crate::js::build`; a failure is an `Error`
//! that names the request and its subject (`Error::about`).

use crate::napi::Export;

pub mod addr;
pub mod conntrack;
pub mod file;
pub mod link;
pub mod netns;
pub mod netns_exec;
pub mod nft;
pub mod route;
pub mod socket;
pub mod sys;
pub mod vlan;

/// Every export of the addon, by domain.
pub static TABLES: &[&[Export]] = &[
    socket::EXPORTS,
    link::EXPORTS,
    vlan::EXPORTS,
    addr::EXPORTS,
    route::EXPORTS,
    netns::EXPORTS,
    netns_exec::EXPORTS,
    sys::EXPORTS,
    file::EXPORTS,
    nft::EXPORTS,
    conntrack::EXPORTS,
];

//! The JS side of the boundary: reading arguments (`args`) and building result objects (`build`).

pub mod args;
pub mod build;

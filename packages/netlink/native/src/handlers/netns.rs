//! Named network namespaces and namespace checks.

use crate::error::Result;
use crate::js::args::arg_string;
use crate::napi::{napi_value, Args, Env, Export};
use crate::netns;

pub static EXPORTS: &[Export] = &[
    export!("netnsCreate", netns_create),
    export!("netnsDelete", netns_delete),
    export!("netnsCheck", netns_check),
    export!("netnsIsNetns", netns_is_netns),
    export!("netnsSame", netns_same),
];

fn netns_create(env: &Env, args: &Args) -> Result<napi_value> {
    let name = arg_string(env, args, 0, "namespace name")?;
    let path = netns::create(&name).map_err(|e| e.about("netnsCreate", name.clone()))?;
    Ok(env.string(&path))
}
fn netns_delete(env: &Env, args: &Args) -> Result<napi_value> {
    let name = arg_string(env, args, 0, "namespace name")?;
    netns::delete(&name).map_err(|e| e.about("netnsDelete", name.clone()))?;
    Ok(env.undefined())
}
/// Throws ENOENT / ENOTNS unless the path is a network namespace.
fn netns_check(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "namespace path")?;
    netns::open_netns(&path).map_err(|e| e.about("netnsCheck", path.clone()))?;
    Ok(env.undefined())
}
fn netns_is_netns(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "namespace path")?;
    Ok(env.boolean(netns::is_netns(&path)))
}
fn netns_same(env: &Env, args: &Args) -> Result<napi_value> {
    let a = arg_string(env, args, 0, "namespace path")?;
    let b = arg_string(env, args, 1, "namespace path")?;
    let same = netns::same(&a, &b).map_err(|e| e.about("netnsSame", format!("{} {}", a, b)))?;
    Ok(env.boolean(same))
}

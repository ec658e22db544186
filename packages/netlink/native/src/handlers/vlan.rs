//! Bridge VLANs (RTM_NEWLINK/DELLINK with AF_BRIDGE IFLA_AF_SPEC, and their dump).

use crate::error::{Error, Result};
use crate::js::args::{arg_link, arg_u32, resolve_index, socket, to_u32, Opts};
use crate::js::build::js_vlan;
use crate::link;
use crate::napi::{napi_value, Args, Env, Export};
use crate::vlan;

pub static EXPORTS: &[Export] = &[
    export!("bridgeVlanAdd", bridge_vlan_add),
    export!("bridgeVlanDel", bridge_vlan_del),
    export!("bridgeVlanList", bridge_vlan_list),
];

fn vid_arg(env: &Env, args: &Args) -> Result<u16> {
    let vid = arg_u32(env, args, 2, "vid")?;
    if !(1..=4094).contains(&vid) {
        return Err(Error::invalid(format!("VLAN id {} is not in 1..4094", vid)));
    }
    Ok(vid as u16)
}

/// bridgeVlanAdd(fd, link, vid, {pvid?, untagged?, self?})
fn bridge_vlan_add(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let vid = vid_arg(env, args)?;
    let opts = Opts::of(env, args, 3);
    let (pvid, untagged, on_self) = (opts.flag(c"pvid")?, opts.flag(c"untagged")?, opts.flag(c"self")?);
    let run = || -> Result<()> {
        let index = resolve_index(sock, &link)?;
        sock.request_ack(vlan::modify(false, index, vid, pvid, untagged, on_self))
    };
    run().map_err(|e| e.about("bridgeVlanAdd", format!("{} vid {}", link.describe(), vid)))?;
    Ok(env.undefined())
}

/// bridgeVlanDel(fd, link, vid, {self?})
fn bridge_vlan_del(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let vid = vid_arg(env, args)?;
    let on_self = Opts::of(env, args, 3).flag(c"self")?;
    let run = || -> Result<()> {
        let index = resolve_index(sock, &link)?;
        sock.request_ack(vlan::modify(true, index, vid, false, false, on_self))
    };
    run().map_err(|e| e.about("bridgeVlanDel", format!("{} vid {}", link.describe(), vid)))?;
    Ok(env.undefined())
}

/// bridgeVlanList(fd, linkIndex?) -> [{linkIndex, vid, pvid, untagged}]
fn bridge_vlan_list(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let only = args.get(env, 1).map(|v| to_u32(env, v, "link index")).transpose()?;
    let replies = sock.dump(vlan::list)?;
    let mut items = Vec::new();
    for reply in replies.iter().filter(|r| r.msg_type == link::RTM_NEWLINK) {
        for v in vlan::parse(&reply.payload) {
            if only.is_none_or(|i| i as i32 == v.index) {
                items.push(js_vlan(env, &v));
            }
        }
    }
    Ok(env.array(items))
}


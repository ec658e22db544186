//! Routes (RTM_NEWROUTE/DELROUTE/GETROUTE).

use crate::addr;
use crate::error::{Error, Result};
use crate::js::args::{parse_cidr, resolve_index, socket, Opts};
use crate::js::build::js_route;
use crate::napi::{napi_value, Args, Env, Export};
use crate::nl;
use crate::route::{self, RouteFilter, RouteSpec};
use crate::socket::Socket;

pub static EXPORTS: &[Export] = &[
    export!("routeAdd", route_add),
    export!("routeReplace", route_replace),
    export!("routeAppend", route_append),
    export!("routeDel", route_del),
    export!("routeList", route_list),
];

/// {dst?: CIDR (default route when absent), gateway?, link?, src?, scope?, metric?, mtu?, advmss?, table?,
///  protocol?, type?, onlink?, family?: 4|6}
fn route_spec(sock: Socket, opts: &Opts) -> Result<(RouteSpec, u8)> {
    let dst = opts.string(c"dst")?.map(|text| parse_cidr(&text)).transpose()?;
    let link = opts.link(c"link")?;
    let spec = RouteSpec {
        family: route::family_number(opts.u8(c"family")?.unwrap_or(0)),
        dst: dst.filter(|(_, len)| *len > 0),
        gateway: opts.ip(c"gateway")?,
        oif: link.as_ref().map(|l| resolve_index(sock, l)).transpose()?.map(|i| i as u32),
        src: opts.ip(c"src")?,
        scope: opts.u8(c"scope")?,
        metric: opts.u32(c"metric")?,
        mtu: opts.u32(c"mtu")?,
        advmss: opts.u32(c"advmss")?,
        table: opts.u32(c"table")?,
        protocol: opts.u8(c"protocol")?,
        route_type: opts.u8(c"type")?,
        onlink: opts.flag(c"onlink")?,
    };
    let family = spec.resolve_family().or(dst.map(|(ip, _)| addr::family_of(&ip))).ok_or_else(|| Error::invalid("route needs dst, gateway, src or family"))?;
    Ok((spec, family))
}

/// The four route changes: one encoder, differing in message type and flags.
#[derive(Clone, Copy)]
enum RouteChange {
    Add,
    Replace,
    Append,
    Del,
}

impl RouteChange {
    fn request(self) -> &'static str {
        match self {
            RouteChange::Add => "routeAdd",
            RouteChange::Replace => "routeReplace",
            RouteChange::Append => "routeAppend",
            RouteChange::Del => "routeDel",
        }
    }
    fn message_type_and_flags(self) -> (u16, u16) {
        match self {
            RouteChange::Add => (route::RTM_NEWROUTE, nl::NLM_F_CREATE | nl::NLM_F_EXCL),
            RouteChange::Replace => (route::RTM_NEWROUTE, nl::NLM_F_CREATE | nl::NLM_F_REPLACE),
            RouteChange::Append => (route::RTM_NEWROUTE, nl::NLM_F_CREATE | nl::NLM_F_APPEND),
            RouteChange::Del => (route::RTM_DELROUTE, 0),
        }
    }
}

fn route_change(env: &Env, args: &Args, change: RouteChange) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let opts = Opts::of(env, args, 1);
    let subject = || {
        let dst = opts.string(c"dst").ok().flatten().unwrap_or_else(|| "default".into());
        match opts.string(c"gateway").ok().flatten() {
            Some(gw) => format!("{} via {}", dst, gw),
            None => dst,
        }
    };
    let run = || -> Result<()> {
        let (spec, family) = route_spec(sock, &opts)?;
        let (msg_type, flags) = change.message_type_and_flags();
        sock.request_ack(route::encode(msg_type, flags, &spec, family))
    };
    run().map_err(|e| e.about(change.request(), subject()))?;
    Ok(env.undefined())
}
fn route_add(env: &Env, args: &Args) -> Result<napi_value> {
    route_change(env, args, RouteChange::Add)
}
fn route_replace(env: &Env, args: &Args) -> Result<napi_value> {
    route_change(env, args, RouteChange::Replace)
}
fn route_append(env: &Env, args: &Args) -> Result<napi_value> {
    route_change(env, args, RouteChange::Append)
}
fn route_del(env: &Env, args: &Args) -> Result<napi_value> {
    route_change(env, args, RouteChange::Del)
}

/// routeList(fd, {family?: 4|6, table?: number (0 = all; default main), dst?, gateway?, link?})
fn route_list(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let opts = Opts::of(env, args, 1);
    let family = route::family_number(opts.u8(c"family")?.unwrap_or(0));
    let link = opts.link(c"link")?;
    let filter = RouteFilter {
        table: match opts.u32(c"table")?.unwrap_or(route::RT_TABLE_MAIN) {
            0 => None,
            t => Some(t),
        },
        dst: opts.string(c"dst")?.map(|t| parse_cidr(&t)).transpose()?.map(Some),
        gateway: opts.ip(c"gateway")?,
        oif: link.as_ref().map(|l| resolve_index(sock, l)).transpose().map_err(|e| e.about("routeList", ""))?.map(|i| i as u32),
    };
    let replies = sock.dump(|| route::list(family))?;
    let items = replies
        .iter()
        .filter(|r| r.msg_type == route::RTM_NEWROUTE)
        .filter_map(|r| route::parse(&r.payload))
        .filter(|r| filter.matches(r))
        .map(|r| js_route(env, &r))
        .collect();
    Ok(env.array(items))
}


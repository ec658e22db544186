//! Netlink wire format: building request messages and walking replies (pure code, unit-tested).
//!
//! A message is a 16-byte `nlmsghdr`, a fixed family header (ifinfomsg, ifaddrmsg, rtmsg) and then
//! attributes (`rtattr`/`nlattr`: u16 length, u16 type, payload, padded to 4 bytes). Integers are in
//! host byte order except where the kernel says otherwise.

pub const NLMSG_HDRLEN: usize = 16;

// nlmsghdr types and flags (linux/netlink.h)
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const NLM_F_DUMP: u16 = 0x300;
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;
pub const NLM_F_APPEND: u16 = 0x800;
/// In an NLMSG_ERROR reply: the echoed request was cut to its header (NETLINK_CAP_ACK).
pub const NLM_F_CAPPED: u16 = 0x100;
/// In an NLMSG_ERROR reply: extended-ack attributes follow (NETLINK_EXT_ACK).
pub const NLM_F_ACK_TLVS: u16 = 0x200;
pub const NLMSGERR_ATTR_MSG: u16 = 1;

pub const NLA_F_NESTED: u16 = 0x8000;
const NLA_TYPE_MASK: u16 = 0x3fff;

/// Round up to the 4-byte alignment netlink uses for messages and attributes.
pub const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// A request under construction: header, family struct, attributes (possibly nested).
pub struct MsgBuilder {
    buf: Vec<u8>,
    open_nests: Vec<usize>,
}

impl MsgBuilder {
    pub fn new(msg_type: u16, flags: u16) -> MsgBuilder {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&0u32.to_ne_bytes()); // length, filled by finish()
        buf.extend_from_slice(&msg_type.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // sequence, filled by finish()
        buf.extend_from_slice(&0u32.to_ne_bytes()); // port id: 0 = the kernel
        MsgBuilder { buf, open_nests: Vec::new() }
    }

    pub fn msg_type(&self) -> u16 {
        u16::from_ne_bytes([self.buf[4], self.buf[5]])
    }

    pub fn add_flags(&mut self, flags: u16) {
        let current = u16::from_ne_bytes([self.buf[6], self.buf[7]]);
        self.buf[6..8].copy_from_slice(&(current | flags).to_ne_bytes());
    }

    fn pad(&mut self) {
        let padded = align(self.buf.len());
        self.buf.resize(padded, 0);
    }

    /// The fixed family header (ifinfomsg, ifaddrmsg, rtmsg) that follows nlmsghdr.
    pub fn header(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self
    }

    pub fn attr(&mut self, attr_type: u16, payload: &[u8]) -> &mut Self {
        let len = (4 + payload.len()) as u16;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&attr_type.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
        self
    }
    pub fn attr_u8(&mut self, attr_type: u16, value: u8) -> &mut Self {
        self.attr(attr_type, &[value])
    }
    pub fn attr_u16(&mut self, attr_type: u16, value: u16) -> &mut Self {
        self.attr(attr_type, &value.to_ne_bytes())
    }
    pub fn attr_u32(&mut self, attr_type: u16, value: u32) -> &mut Self {
        self.attr(attr_type, &value.to_ne_bytes())
    }
    /// A NUL-terminated string attribute (interface names, link kinds).
    pub fn attr_str(&mut self, attr_type: u16, value: &str) -> &mut Self {
        let mut bytes = Vec::with_capacity(value.len() + 1);
        bytes.extend_from_slice(value.as_bytes());
        bytes.push(0);
        self.attr(attr_type, &bytes)
    }

    /// Open a nested attribute; attributes added until `nest_end` go inside it.
    pub fn nest_start(&mut self, attr_type: u16) -> &mut Self {
        self.open_nests.push(self.buf.len());
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&(attr_type | NLA_F_NESTED).to_ne_bytes());
        self
    }
    pub fn nest_end(&mut self) -> &mut Self {
        let start = self.open_nests.pop().expect("nest_end without nest_start");
        let len = (self.buf.len() - start) as u16;
        self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }

    /// Raw bytes appended as they are (a family header inside a nest, e.g. the veth peer's ifinfomsg).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self
    }

    /// Finish with a sequence number; returns the bytes to send.
    pub fn finish(mut self, seq: u32) -> Vec<u8> {
        assert!(self.open_nests.is_empty(), "unclosed nested attribute");
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        self.buf
    }
}

/// One message of a reply: its header fields and payload (family header + attributes).
#[derive(Debug, Clone, Copy)]
pub struct Msg<'a> {
    pub msg_type: u16,
    pub flags: u16,
    pub seq: u32,
    pub payload: &'a [u8],
}

/// Walk the messages in a datagram; stops at a truncated or malformed header.
pub fn messages(buf: &[u8]) -> Messages<'_> {
    Messages { rest: buf }
}
pub struct Messages<'a> {
    rest: &'a [u8],
}
impl<'a> Iterator for Messages<'a> {
    type Item = Msg<'a>;
    fn next(&mut self) -> Option<Msg<'a>> {
        if self.rest.len() < NLMSG_HDRLEN {
            return None;
        }
        let len = u32_at(self.rest, 0)? as usize;
        if len < NLMSG_HDRLEN || len > self.rest.len() {
            return None;
        }
        let msg = Msg {
            msg_type: u16_at(self.rest, 4)?,
            flags: u16_at(self.rest, 6)?,
            seq: u32_at(self.rest, 8)?,
            payload: &self.rest[NLMSG_HDRLEN..len],
        };
        self.rest = &self.rest[align(len).min(self.rest.len())..];
        Some(msg)
    }
}

/// Walk attributes; yields (type without NESTED/BYTEORDER bits, payload).
pub fn attrs(buf: &[u8]) -> Attrs<'_> {
    Attrs { rest: buf }
}
pub struct Attrs<'a> {
    rest: &'a [u8],
}
impl<'a> Iterator for Attrs<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<(u16, &'a [u8])> {
        if self.rest.len() < 4 {
            return None;
        }
        let len = u16_at(self.rest, 0)? as usize;
        let attr_type = u16_at(self.rest, 2)? & NLA_TYPE_MASK;
        if len < 4 || len > self.rest.len() {
            return None;
        }
        let payload = &self.rest[4..len];
        self.rest = &self.rest[align(len).min(self.rest.len())..];
        Some((attr_type, payload))
    }
}

/// Attributes after a fixed family header of `header_len` bytes.
pub fn attrs_after(payload: &[u8], header_len: usize) -> Attrs<'_> {
    attrs(payload.get(align(header_len)..).unwrap_or(&[]))
}

pub fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(buf.get(at..at + 2)?.try_into().ok()?))
}
pub fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}
pub fn i32_at(buf: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_ne_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}
pub fn u8_of(payload: &[u8]) -> Option<u8> {
    payload.first().copied()
}
/// A NUL-terminated (or not) string attribute.
pub fn str_of(payload: &[u8]) -> String {
    let end = payload.iter().position(|&b| b == 0).unwrap_or(payload.len());
    String::from_utf8_lossy(&payload[..end]).into_owned()
}

/// The outcome carried by an NLMSG_ERROR message: errno (0 = ACK) and the kernel's extended-ack text.
#[derive(Debug, PartialEq)]
pub struct ErrorMsg {
    pub errno: i32,
    pub ext_msg: Option<String>,
}

pub fn parse_error(msg: &Msg) -> ErrorMsg {
    let code = i32_at(msg.payload, 0).unwrap_or(-crate::sys::EPROTO);
    let mut ext_msg = None;
    if msg.flags & NLM_F_ACK_TLVS != 0 {
        // After the error code comes the echoed request: only its header when capped.
        let echoed_len = if msg.flags & NLM_F_CAPPED != 0 {
            NLMSG_HDRLEN
        } else {
            u32_at(msg.payload, 4).unwrap_or(NLMSG_HDRLEN as u32) as usize
        };
        if let Some(tlvs) = msg.payload.get(4 + align(echoed_len)..) {
            for (attr_type, payload) in attrs(tlvs) {
                if attr_type == NLMSGERR_ATTR_MSG {
                    ext_msg = Some(str_of(payload));
                }
            }
        }
    }
    // i32::MIN has no negation (a corrupt reply, found by the fuzz test): report it as a protocol error.
    ErrorMsg { errno: code.checked_neg().unwrap_or(crate::sys::EPROTO), ext_msg }
}

/// "aa:bb:cc:dd:ee:ff" from hardware-address bytes.
pub fn format_mac(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{:02x}", b));
    }
    out
}

/// Parse "aa:bb:cc:dd:ee:ff" (also '-' separated) into 6 bytes.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = text.split([':', '-']);
    for byte in out.iter_mut() {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_writes_header_length_and_sequence() {
        let mut b = MsgBuilder::new(18, NLM_F_REQUEST);
        b.header(&[0u8; 16]).attr_str(3, "eth0");
        let bytes = b.finish(42);
        // 16 header + 16 ifinfomsg + 4 attr header + "eth0\0" padded to 8
        assert_eq!(bytes.len(), 16 + 16 + 12);
        assert_eq!(u32_at(&bytes, 0), Some(bytes.len() as u32));
        assert_eq!(u16_at(&bytes, 4), Some(18));
        assert_eq!(u16_at(&bytes, 6), Some(NLM_F_REQUEST));
        assert_eq!(u32_at(&bytes, 8), Some(42));
        assert_eq!(u16_at(&bytes, 32), Some(9)); // attr length excludes padding
        assert_eq!(u16_at(&bytes, 34), Some(3));
        assert_eq!(&bytes[36..41], b"eth0\0");
    }

    #[test]
    fn nested_attributes_carry_length_and_nested_flag() {
        let mut b = MsgBuilder::new(16, 0);
        b.nest_start(18).attr_str(1, "veth").nest_start(2).attr_u32(7, 1).nest_end().nest_end();
        let bytes = b.finish(1);
        let body = &bytes[16..];
        let (t, payload) = attrs(body).next().unwrap();
        assert_eq!(t, 18);
        assert_eq!(u16_at(body, 2), Some(18 | NLA_F_NESTED));
        let inner: Vec<_> = attrs(payload).collect();
        assert_eq!(inner.len(), 2);
        assert_eq!(str_of(inner[0].1), "veth");
        let (t2, p2) = attrs(inner[1].1).next().unwrap();
        assert_eq!((t2, u32_at(p2, 0)), (7, Some(1)));
    }

    #[test]
    fn messages_walks_several_and_stops_at_truncation() {
        let a = MsgBuilder::new(16, NLM_F_MULTI).finish(5);
        let mut b = MsgBuilder::new(NLMSG_DONE, NLM_F_MULTI);
        b.raw(&0i32.to_ne_bytes());
        let b = b.finish(5);
        let mut buf = a.clone();
        buf.extend_from_slice(&b);
        buf.extend_from_slice(&[1, 2, 3]); // garbage tail
        let msgs: Vec<_> = messages(&buf).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[1].msg_type, NLMSG_DONE);
        assert_eq!(msgs[1].payload.len(), 4);
    }

    #[test]
    fn error_message_with_extended_ack_text() {
        // NLMSG_ERROR, capped + TLVs: -EEXIST, echoed 16-byte header, NLMSGERR_ATTR_MSG "boom"
        let mut b = MsgBuilder::new(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
        let mut payload = Vec::new();
        payload.extend_from_slice(&(-crate::sys::EEXIST).to_ne_bytes());
        payload.extend_from_slice(&MsgBuilder::new(16, 0).finish(9));
        b.raw(&payload).attr_str(NLMSGERR_ATTR_MSG, "boom");
        let bytes = b.finish(9);
        let msg = messages(&bytes).next().unwrap();
        assert_eq!(parse_error(&msg), ErrorMsg { errno: crate::sys::EEXIST, ext_msg: Some("boom".into()) });
    }

    #[test]
    fn ack_is_errno_zero() {
        let mut b = MsgBuilder::new(NLMSG_ERROR, NLM_F_CAPPED);
        b.raw(&0i32.to_ne_bytes()).raw(&[0u8; 16]);
        let bytes = b.finish(3);
        let msg = messages(&bytes).next().unwrap();
        assert_eq!(parse_error(&msg).errno, 0);
    }

    #[test]
    fn mac_round_trip_and_rejects() {
        assert_eq!(parse_mac("0a:1B:2c:3d:4e:5f"), Some([0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f]));
        assert_eq!(format_mac(&[0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f]), "0a:1b:2c:3d:4e:5f");
        assert_eq!(parse_mac("0a:1b:2c:3d:4e"), None);
        assert_eq!(parse_mac("0a:1b:2c:3d:4e:5f:00"), None);
        assert_eq!(parse_mac("zz:1b:2c:3d:4e:5f"), None);
    }
}

//! One netlink socket (rtnetlink or nfnetlink) and the three request shapes every operation uses: ack,
//! single reply, dump. `send_bytes`/`receive` are public for protocols with other shapes (nftables batches).

use crate::error::{Error, Result};
use crate::nl::{self, MsgBuilder, NLMSG_DONE, NLMSG_ERROR};
use crate::sys;
use std::sync::atomic::{AtomicU32, Ordering};

static SEQUENCE: AtomicU32 = AtomicU32::new(1);
/// A dump the kernel marks interrupted (the object set changed under it) is restarted this many times.
const DUMP_RETRIES: usize = 10;

/// Borrowed view of a netlink socket fd owned by the JS handle (closed by `close`).
#[derive(Clone, Copy)]
pub struct Socket {
    pub fd: i32,
}

/// An owned reply message: its type and payload (family header + attributes).
pub struct Reply {
    pub msg_type: u16,
    pub payload: Vec<u8>,
}

/// The netlink protocol family a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// rtnetlink: links, addresses, routes, bridge ports and VLANs
    Route,
    /// nfnetlink: nftables
    Netfilter,
}

impl Protocol {
    pub fn number(self) -> i32 {
        match self {
            Protocol::Route => sys::NETLINK_ROUTE,
            Protocol::Netfilter => sys::NETLINK_NETFILTER,
        }
    }
    /// The protocol with this NETLINK_* number, if the addon speaks it.
    pub fn from_number(number: i32) -> Option<Protocol> {
        match number {
            sys::NETLINK_ROUTE => Some(Protocol::Route),
            sys::NETLINK_NETFILTER => Some(Protocol::Netfilter),
            _ => None,
        }
    }
}

/// The next request sequence number (shared by all sockets of the process).
pub fn next_seq() -> u32 {
    SEQUENCE.fetch_add(1, Ordering::Relaxed)
}

impl Socket {
    /// A socket of `protocol` in the calling thread's network namespace.
    pub fn open(protocol: Protocol) -> Result<Socket> {
        Ok(Socket { fd: sys::netlink_socket(protocol.number())? })
    }

    pub fn close(self) {
        sys::close_fd(self.fd);
    }

    fn send(&self, msg: MsgBuilder) -> Result<u32> {
        let seq = next_seq();
        self.send_bytes(&msg.finish(seq))?;
        Ok(seq)
    }

    /// Send finished message bytes as one datagram (several messages may share it, as in a batch).
    pub fn send_bytes(&self, datagram: &[u8]) -> Result<()> {
        sys::send_all(self.fd, datagram)?;
        Ok(())
    }

    /// Send a request that changes something and wait for the kernel's ack (or error).
    pub fn request_ack(&self, mut msg: MsgBuilder) -> Result<()> {
        msg.add_flags(nl::NLM_F_REQUEST | nl::NLM_F_ACK);
        let seq = self.send(msg)?;
        self.receive(seq, |_| {})?;
        Ok(())
    }

    /// Send a get request answered by exactly one message (plus the ack we ask for), and return it.
    pub fn request_one(&self, mut msg: MsgBuilder) -> Result<Reply> {
        msg.add_flags(nl::NLM_F_REQUEST);
        let seq = self.send(msg)?;
        let mut reply = None;
        self.receive(seq, |m| {
            if reply.is_none() {
                reply = Some(Reply { msg_type: m.msg_type, payload: m.payload.to_vec() });
            }
        })?;
        reply.ok_or_else(|| Error::os(sys::EPROTO).with_detail("no reply message"))
    }

    /// Dump a table. `make` builds the request afresh for each attempt: a dump the kernel flags with
    /// NLM_F_DUMP_INTR is inconsistent and is done again.
    pub fn dump(&self, make: impl Fn() -> MsgBuilder) -> Result<Vec<Reply>> {
        for _ in 0..DUMP_RETRIES {
            let mut msg = make();
            msg.add_flags(nl::NLM_F_REQUEST | nl::NLM_F_DUMP);
            let seq = self.send(msg)?;
            let mut replies = Vec::new();
            let mut interrupted = false;
            self.receive(seq, |m| {
                interrupted |= m.flags & nl::NLM_F_DUMP_INTR != 0;
                replies.push(Reply { msg_type: m.msg_type, payload: m.payload.to_vec() });
            })?;
            if !interrupted {
                return Ok(replies);
            }
        }
        Err(Error::os(sys::EINTR).with_detail("dump kept being interrupted"))
    }

    /// Read datagrams until the request `seq` is finished: an NLMSG_ERROR (ack when errno 0), or NLMSG_DONE
    /// for a dump, or a lone non-multipart reply. Messages of other sequence numbers (late answers to an
    /// earlier, failed call) are skipped.
    pub fn receive(&self, seq: u32, mut on_message: impl FnMut(&nl::Msg)) -> Result<()> {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let n = sys::recv_datagram(self.fd, &mut buf)?;
            for msg in nl::messages(&buf[..n]) {
                if msg.seq != seq {
                    continue;
                }
                match msg.msg_type {
                    NLMSG_ERROR => {
                        let err = nl::parse_error(&msg);
                        if err.errno == 0 {
                            return Ok(());
                        }
                        let mut error = Error::os(err.errno);
                        error.detail = err.ext_msg;
                        return Err(error);
                    }
                    NLMSG_DONE => {
                        // A dump can end with an error code in place of the usual 0.
                        let errno = -nl::i32_at(msg.payload, 0).unwrap_or(0);
                        return if errno > 0 { Err(Error::os(errno)) } else { Ok(()) };
                    }
                    _ => {
                        on_message(&msg);
                        if msg.flags & nl::NLM_F_MULTI == 0 {
                            // Single reply to a get: the kernel sends no ack unless asked.
                            return Ok(());
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nl::NLM_F_MULTI;

    /// Play the kernel on the other end of a datagram pair: for each request read, send what `answer`
    /// returns for (attempt, request sequence number).
    fn fake_kernel(peer: i32, requests: usize, answer: impl Fn(usize, u32) -> Vec<Vec<u8>> + Send + 'static) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            for attempt in 0..requests {
                let n = sys::recv_datagram(peer, &mut buf).unwrap();
                let seq = nl::messages(&buf[..n]).next().unwrap().seq;
                for datagram in answer(attempt, seq) {
                    sys::send_all(peer, &datagram).unwrap();
                }
            }
        })
    }

    fn reply(msg_type: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let mut msg = MsgBuilder::new(msg_type, flags);
        msg.raw(payload);
        msg.finish(seq)
    }

    #[test]
    fn an_interrupted_dump_is_done_again() {
        let (ours, peer) = sys::datagram_pair().unwrap();
        let kernel = fake_kernel(peer, 2, |attempt, seq| {
            let first_flags = if attempt == 0 { NLM_F_MULTI | nl::NLM_F_DUMP_INTR } else { NLM_F_MULTI };
            let mut datagram = reply(16, first_flags, seq, &[attempt as u8; 4]);
            datagram.extend(reply(16, NLM_F_MULTI, seq, &[9; 4]));
            vec![datagram, reply(NLMSG_DONE, NLM_F_MULTI, seq, &0i32.to_ne_bytes())]
        });
        let replies = Socket { fd: ours }.dump(|| MsgBuilder::new(18, 0)).unwrap();
        kernel.join().unwrap();
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].payload, vec![1; 4]); // from the second, uninterrupted attempt
        sys::close_fd(ours);
        sys::close_fd(peer);
    }

    #[test]
    fn errors_carry_errno_and_kernel_text_and_stale_replies_are_skipped() {
        let (ours, peer) = sys::datagram_pair().unwrap();
        let kernel = fake_kernel(peer, 1, |_, seq| {
            let mut payload = (-sys::EEXIST).to_ne_bytes().to_vec();
            payload.extend(MsgBuilder::new(16, 0).finish(seq));
            let mut error = MsgBuilder::new(NLMSG_ERROR, nl::NLM_F_CAPPED | nl::NLM_F_ACK_TLVS);
            error.raw(&payload).attr_str(nl::NLMSGERR_ATTR_MSG, "name in use");
            // an answer to some earlier request first: must be ignored
            vec![reply(NLMSG_ERROR, 0, seq.wrapping_sub(1), &0i32.to_ne_bytes()), error.finish(seq)]
        });
        let err = Socket { fd: ours }.request_ack(MsgBuilder::new(16, 0)).unwrap_err();
        kernel.join().unwrap();
        assert_eq!(err.errno, sys::EEXIST);
        assert_eq!(err.detail.as_deref(), Some("name in use"));
        sys::close_fd(ours);
        sys::close_fd(peer);
    }

    #[test]
    fn a_dump_ending_in_an_error_fails() {
        let (ours, peer) = sys::datagram_pair().unwrap();
        let kernel = fake_kernel(peer, 1, |_, seq| vec![reply(NLMSG_DONE, NLM_F_MULTI, seq, &(-sys::EBUSY).to_ne_bytes())]);
        let err = Socket { fd: ours }.dump(|| MsgBuilder::new(18, 0)).err().unwrap();
        kernel.join().unwrap();
        assert_eq!(err.errno, sys::EBUSY);
        sys::close_fd(ours);
        sys::close_fd(peer);
    }
}

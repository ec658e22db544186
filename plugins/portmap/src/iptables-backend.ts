import { CniError, ErrorCode } from "@cni/skel";
import type { PortmapBackend } from "./backend";

export function createIptablesBackend(): PortmapBackend {
  const todo = (): never => {
    throw new CniError(ErrorCode.Internal, "iptables backend: not yet");
  };
  return { add: todo, check: todo, del: todo, gc: todo };
}

// The one addon binary against the TypeScript that calls it. Its exports: the Rust EXPORTS tables
// (native/src/handlers/*.rs) and the loaded binary must hold exactly the functions NetlinkNative and
// HostFilesNative declare, each declared once; those two interfaces are the list, the rest is checked
// against them. And what the file functions return against the field records of src/types.ts (the
// netlink results: @cni/netlink's boundary.kernel.test.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { loadedAddon } from "@cni/netlink/addon";
import { NETLINK_NATIVE_FUNCTIONS } from "../../netlink/src/native";
import { expectBoundary } from "../../netlink/test/boundary-check";
import { fileIdentity, fileStatus, listDirectory } from "../src/index";
import { HOST_FILES_NATIVE_FUNCTIONS } from "../src/native";
import { DIRECTORY_ENTRY_FIELDS, FILE_IDENTITY_FIELDS, FILE_STATUS_FIELDS } from "../src/types";

const HANDLERS = resolve(__dirname, "../../netlink/native/src/handlers");

const netlinkNames = Object.keys(NETLINK_NATIVE_FUNCTIONS);
const hostFilesNames = Object.keys(HOST_FILES_NATIVE_FUNCTIONS);
const declared = [...netlinkNames, ...hostFilesNames].sort();

/** Every JS name an `export!("name", handler)` line of a handlers/*.rs table gives, with its file. */
function rustExports(): { name: string; file: string }[] {
  const found: { name: string; file: string }[] = [];
  for (const file of readdirSync(HANDLERS).filter((entry) => entry.endsWith(".rs"))) {
    const source = readFileSync(join(HANDLERS, file), "utf8");
    for (const match of source.matchAll(/export!\(\s*"(\w+)"/g)) found.push({ name: match[1]!, file });
  }
  return found;
}

describe("the addon's exports", () => {
  test("no function is declared by both packages", () => {
    expect(netlinkNames.filter((name) => hostFilesNames.includes(name))).toEqual([]);
  });

  test("the Rust EXPORTS tables name exactly the declared functions, each once", () => {
    const names = rustExports().map((entry) => entry.name);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
    expect([...names].sort()).toEqual(declared);
  });

  test("the loaded binary exports exactly the declared functions, all functions", () => {
    const addon = loadedAddon<Record<string, unknown>>();
    expect(Object.keys(addon).sort()).toEqual(declared);
    for (const name of Object.keys(addon)) expect([name, typeof addon[name]]).toEqual([name, "function"]);
  });
});

describe("file results match the declared types", () => {
  test("FileIdentity from fileIdentity", () => {
    expectBoundary([fileIdentity("/proc/self/exe")], FILE_IDENTITY_FIELDS, "FileIdentity");
  });

  test("FileStatus from fileStatus, DirectoryEntry from listDirectory", () => {
    expectBoundary([fileStatus("/proc/self/exe"), fileStatus("/proc")], FILE_STATUS_FIELDS, "FileStatus");
    expectBoundary(listDirectory("/proc/self"), DIRECTORY_ENTRY_FIELDS, "DirectoryEntry");
  });
});

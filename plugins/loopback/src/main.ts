// Executable entry point (bundled by build.sh into bin/loopback).
import { plugin } from "./loopback";

void plugin.main();

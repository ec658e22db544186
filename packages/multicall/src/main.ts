// Executable entry point of bin/cni-plugins (bin/<plugin> and bin/cnitool are links to it). It loads
// only the chunk the invoked name needs (chunks.ts): `process.argv0` is the name as the caller gave it,
// a link's own name. The require is not a literal on purpose, so esbuild leaves the chunks out of this
// bundle; build.sh bundles each src/chunks/<chunk>.ts to <chunk>.cjs beside it and `bun build --compile`
// embeds them all.
import { chunkOf } from "./chunks";
import { baseName } from "./in-process";
import type { Chunk } from "./run-chunk";

const loadChunk = require as (id: string) => { chunk: Chunk };
void loadChunk(`./${chunkOf(baseName(process.argv0))}.cjs`).chunk.run();

import { plugin } from "./host-local";

void plugin.main();

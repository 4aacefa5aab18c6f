/** The labels vitictl puts on what it creates; watches, cleanup and published results select by them. */
export const RUN_ID_LABEL = 'vitictl.io/run-id';
export const SCENARIO_LABEL = 'vitictl.io/scenario';
export const SET_LABEL = 'vitictl.io/set';
/** only on sharded runs, so one shard's watch and cleanup never touch another shard's objects */
export const SHARD_LABEL = 'vitictl.io/shard';

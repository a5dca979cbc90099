/** Graph translation's public surface: logical graph → job graph → subtasks, and record routing. */
export { isChainable, partitionerFor, toJobGraph } from './job-graph.js';
export type { JobEdge, JobGraph, JobVertex, PartitionerKind } from './job-graph.js';
export { createRouter, hashTarget } from './partitioners.js';
export type { RecordRouter, RouterOptions } from './partitioners.js';
export { expandSubtasks } from './subtasks.js';
export type { Channel, ExecutionEdge, ExecutionPlan, SubtaskDescriptor } from './subtasks.js';

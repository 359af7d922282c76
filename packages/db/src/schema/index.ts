export * from './meters';
export * from './readings';
export * from './aggregates';
export * from './auth';
export * from './batch';
export * from './jobs';
export * from './archive';

export * from './meters';
export * from './readings';
export * from './aggregates';
export * from './auth';

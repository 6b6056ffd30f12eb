// Public surface of exec/: running external programs.
export { run, setExecLogger, type RunOptions, type RunResult } from './run.js';

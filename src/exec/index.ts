// Public surface of exec/: running external programs.
export { run, runSync, setExecLogger, type RunOptions, type RunResult, type RunSyncResult } from './run.js';
export { livePid, parsePidRecord, pidAlive, pidRecordText, procStat, recordAlive, startTimeOf, type PidRecord } from './pid-record.js';
export { pollFor, sleep, waitUntil, type WaitOptions } from './wait.js';
export { spawnPipe, type PipeOptions, type PipeProcess } from './pipe.js';

// Public surface of tor-control/: the one client of tor's control port, and its reply parser.
export { TorControl, type ControlOptions, type ControlTarget } from './client.js';
export { parseGetinfo, ReplyParser, replyText, type ControlReply, type ReplyLine } from './reply.js';

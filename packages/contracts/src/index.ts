export * from './errors.js';
export * from './ids.js';
export * from './message.js';
export * from './http.js';
export * from './socket.js';
export * from './queue.js';
export * from './calls.js';
export * from './internal.js';

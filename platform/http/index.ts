export { readBody, mediaType } from './body.ts';
export { Router, defaultErrorMapper, httpStatusOf, type Handler, type ErrorMapper } from './router.ts';
export { createHttpServer, listen, closeServer, type ServerTimeouts } from './server.ts';

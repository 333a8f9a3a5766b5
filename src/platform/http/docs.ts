import express, { type Router } from 'express';
import { absolutePath } from 'swagger-ui-dist';

/** Serves the API reference at /docs from the installed swagger-ui-dist package; no CDN. */
export function docsRouter(specUrl: string): Router {
  const router = express.Router();
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tideline API reference</title>
<link rel="stylesheet" href="swagger-ui.css"></head>
<body><div id="ui"></div><script src="swagger-ui-bundle.js"></script><script src="init.js"></script></body></html>`;
  const init = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#ui', deepLinking: true });`;
  router.get('/', (req, res) => {
    // Relative asset URLs need the trailing slash.
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) {
      res.redirect(301, `${req.baseUrl}/`);
      return;
    }
    res.type('html').send(page);
  });
  router.get('/init.js', (_req, res) => {
    res.type('application/javascript').send(init);
  });
  router.use(express.static(absolutePath(), { index: false, maxAge: '1h' }));
  return router;
}

/**
 * Short polling, server side: answer every request at once with the data as it is now.
 * The seed article's Go handler is three lines; this is the same handler, plus conditional
 * requests (ETag / If-None-Match → 304) so that "nothing changed" costs almost nothing.
 */
import { Router } from 'express';
import type { LessonServer } from '../lesson.ts';

const shortPolling: LessonServer = ({ feed }) => {
  const router = Router();

  router.get('/data', (req, res) => {
    const { version, value, changedAt } = feed.current(); // [!code step:read]
    res.set('Cache-Control', 'no-cache'); // caches must ask us every time
    res.set('ETag', `"v${version}"`); // [!code step:etag]
    // req.fresh compares the request's If-None-Match with the ETag we just set.
    if (req.fresh) {
      res.status(304).end(); // [!code step:not-modified]
      return;
    }
    res.json({ version, value, changedAt }); // [!code step:respond]
  });

  return router;
};

export default shortPolling;

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
    const etag = `"v${version}"`;
    res.set('Cache-Control', 'no-cache'); // caches must ask us every time
    res.set('ETag', etag); // [!code step:etag]
    // Compared by hand: Express's req.fresh says "not fresh" whenever the request carries
    // Cache-Control: no-cache, and fetch() with cache: 'no-store' always sends that.
    const known = req.get('If-None-Match')?.split(',').map((tag) => tag.trim()) ?? [];
    if (known.includes(etag)) {
      res.status(304).end(); // [!code step:not-modified]
      return;
    }
    res.json({ version, value, changedAt }); // [!code step:respond]
  });

  return router;
};

export default shortPolling;

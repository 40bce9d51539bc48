// The page a class opens to join a presentation: light (no editor, no timeline, no highlighter).
import './components/audience-view.ts';

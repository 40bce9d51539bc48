import { createCommentNotationTransformer } from '@shikijs/transformers';
import type { ShikiTransformer } from 'shiki';

/** `// [!code step:<id>]` marks its line with `data-step="<id>"`; `// [!code step:<id>:3]` marks the next 3 lines. */
export function transformerNotationStep(): ShikiTransformer {
  return createCommentNotationTransformer(
    'workbench:notation-step',
    // Global, because the factory calls `.replace()` and must see every step on the line.
    /\s*\[!code step:([\w-]+)(?::(\d+))?\]/gi,
    function ([, stepId, count = '1'], _line, _comment, lines, index) {
      for (const line of lines.slice(index, index + Number(count))) {
        const steps = String(line.properties['data-step'] ?? '').split(' ').filter(Boolean);
        if (!steps.includes(stepId)) steps.push(stepId);
        line.properties['data-step'] = steps.join(' ');
        this.addClassToHast(line, 'has-step');
      }
      // Consumed: an emptied comment is dropped, and so is a line that held only the comment.
      return true;
    },
    'v3',
  );
}

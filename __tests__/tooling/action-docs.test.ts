import { describe, expect, it } from '@jest/globals';
import { BEGIN, END, tablesFor, withTables } from '../../scripts/lib/action-docs.js';

const METADATA = `name: Demo
description: Does a demo.
inputs:
  gallery:
    description: Gallery | name.
    required: true
  dry-run:
    description: Plan only.
    default: true
outputs:
  planned:
    description: The plan, as JSON.
`;

describe('action docs', () => {
  it('tabulate the inputs and outputs of action.yml, escaping pipes', () => {
    const block = tablesFor(METADATA);
    expect(block.startsWith(BEGIN) && block.endsWith(END)).toBe(true);
    expect(block).toContain('| `gallery` | yes |  | Gallery \\| name. |');
    expect(block).toContain('| `dry-run` | no | `true` | Plan only. |');
    expect(block).toContain('| `planned` | The plan, as JSON. |');
  });

  it('replace only the generated block, and make a README that is missing', () => {
    const readme = `# Demo\n\nProse.\n\n${BEGIN}\nold\n${END}\n\nMore prose.\n`;
    expect(withTables(readme, 'NEW', METADATA)).toBe('# Demo\n\nProse.\n\nNEW\n\nMore prose.\n');
    expect(withTables(undefined, 'NEW', METADATA)).toBe(
      '# Demo\n\nDoes a demo.\n\n## Inputs and outputs\n\nNEW\n',
    );
  });
});

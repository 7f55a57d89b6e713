// A decision's checks in order: what each compared and, for a failure, the
// nearest fix. Shared by a decision's detail and the explain view.
import { Check } from '../api';
import { visible } from '../format';

export function ChecksTable({ checks, caption = 'Every check, in order' }: { checks: Check[]; caption?: string }) {
  return (
    <table class="checks">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Check</th>
          <th scope="col">Result</th>
          <th scope="col">Compared</th>
        </tr>
      </thead>
      <tbody>
        {checks.map((c) => (
          <tr key={c.name} class={c.result}>
            <td>{c.name}</td>
            <td>{c.result.replace('_', ' ')}</td>
            <td>
              {visible(c.compared || c.detail || '')}
              {c.fix ? <div class="fix">{visible(c.fix)}</div> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

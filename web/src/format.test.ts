import { bytes, plural, replyLines, visible } from './format';
import { parseRoute, href } from './router';
import { hasRemoteContent } from './views/message';

test('bidirectional controls are shown, not obeyed', () => {
  expect(visible('invoice\u202Efdp.exe')).toBe('invoice\u27E6U+202E\u27E7fdp.exe');
  expect(visible('plain')).toBe('plain');
  expect(visible(null)).toBe('');
});

test('sizes, counts and replies', () => {
  expect(bytes(512)).toBe('512 B');
  expect(bytes(2048)).toBe('2.0 KB');
  expect(bytes(3 * 1024 * 1024)).toBe('3.0 MB');
  expect(plural(1, 'message')).toBe('1 message');
  expect(plural(2, 'message')).toBe('2 messages');
  expect(replyLines('550-a\n550 b')).toEqual(['550-a', '550 b']);
  expect(replyLines('')).toEqual([]);
});

test('hash routes', () => {
  expect(parseRoute('#/inbox/abc')).toEqual({ view: 'inbox', id: 'abc' });
  expect(parseRoute('#/decisions/12')).toEqual({ view: 'decisions', id: '12' });
  expect(parseRoute('')).toEqual({ view: 'inbox', id: null });
  expect(parseRoute('#/nowhere')).toEqual({ view: 'inbox', id: null });
  expect(href('inbox', 'a/b')).toBe('#/inbox/a%2Fb');
  expect(parseRoute(href('inbox', 'a/b')).id).toBe('a/b');
});

test('remote content is noticed', () => {
  expect(hasRemoteContent('<img src="https://t.example/p.gif">')).toBe(true);
  expect(hasRemoteContent('<img src=//t.example/p.gif>')).toBe(true);
  expect(hasRemoteContent('<td background="http://x/y.png">')).toBe(true);
  expect(hasRemoteContent('<div style="background:url( \'https://x/y\')">')).toBe(true);
  expect(hasRemoteContent('<style>@import "x.css"</style>')).toBe(true);
  expect(hasRemoteContent('<img src="cid:logo"><a href="https://example.com">a link</a>')).toBe(false);
});

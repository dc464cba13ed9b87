import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { GroupCommit } from './group-commit.js';

test('items added in one turn are committed together at its end; afterCommit waits for them', async () => {
  const commits: number[][] = [];
  const g = new GroupCommit<number>((items) => { commits.push(items); });
  const heard: string[] = [];
  g.afterCommit(() => heard.push('nothing pending: at once'));
  g.add(1);
  g.add(2);
  g.afterCommit(() => heard.push('after 1, 2'));
  assert.deepEqual([commits, g.size], [[], 2]);
  await nextTurn();
  assert.deepEqual(commits, [[1, 2]]);
  assert.deepEqual(heard, ['nothing pending: at once', 'after 1, 2']);
});

test('a large turn is committed a chunk per turn, in order; callbacks run once their items are durable; flush commits the rest at once', async () => {
  const commits: number[][] = [];
  const g = new GroupCommit<number>((items) => { commits.push([...items]); }, 3);
  const heard: string[] = [];
  for (let i = 1; i <= 4; i++) g.add(i);
  g.afterCommit(() => heard.push('after 4'));
  for (let i = 5; i <= 8; i++) g.add(i);
  g.afterCommit(() => heard.push('after 8'));
  await nextTurn();
  assert.deepEqual([commits, heard], [[[1, 2, 3]], []]);
  await nextTurn();
  assert.deepEqual([commits, heard], [[[1, 2, 3], [4, 5, 6]], ['after 4']]);
  g.add(9);
  g.flush();
  assert.deepEqual([commits.at(-1), heard, g.size], [[7, 8, 9], ['after 4', 'after 8'], 0]);
  await nextTurn();
  assert.equal(commits.length, 3, 'nothing left for the scheduled turn');
});

test('a failed commit is reported to the next caller, not lost in a timer; nobody hears of it, nobody waits for it', async () => {
  const g = new GroupCommit<number>(() => { throw new Error('disk full'); });
  const heard: string[] = [];
  g.add(1);
  g.afterCommit(() => heard.push('after 1'));
  await nextTurn();
  assert.throws(() => g.add(2), /disk full/);
  g.afterCommit(() => heard.push('nothing pending: at once'));
  assert.deepEqual(heard, ['nothing pending: at once']);
});

test('a commit made durable later: afterCommit waits for its sync, and a sync covers the commits before it', async () => {
  const syncs: Array<() => void> = [];
  const g = new GroupCommit<number>(() => new Promise<void>((resolve) => syncs.push(resolve)));
  const heard: string[] = [];
  g.add(1);
  g.afterCommit(() => heard.push('after 1'));
  await nextTurn();
  g.add(2);
  g.afterCommit(() => heard.push('after 2'));
  g.flush();
  assert.deepEqual([syncs.length, heard, g.size], [2, [], 0], 'written, not yet durable');
  syncs[1]!();
  await nextTurn();
  assert.deepEqual(heard, ['after 1', 'after 2']);
  syncs[0]!();
  await nextTurn();
  g.afterCommit(() => heard.push('nothing pending: at once'));
  assert.deepEqual(heard, ['after 1', 'after 2', 'nothing pending: at once']);
});

test('a failed sync is reported to the next caller, what it covered is never announced durable, and nobody waits for it', async () => {
  const g = new GroupCommit<number>(() => Promise.reject(new Error('EIO: fdatasync')));
  const heard: string[] = [];
  g.add(1);
  g.afterCommit(() => heard.push('after 1'));
  await nextTurn();
  await nextTurn();
  assert.throws(() => g.add(2), /EIO/);
  g.afterCommit(() => heard.push('nothing pending: at once'));
  assert.deepEqual(heard, ['nothing pending: at once']);
});

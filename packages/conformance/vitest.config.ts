import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../tools/vitest.shared.ts';

export default mergeConfig(shared, defineProject({ test: { name: 'conformance' } }));

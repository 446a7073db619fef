import { nxProjectTests } from '../../vitest.shared.js';

export default nxProjectTests('serving-gateway');

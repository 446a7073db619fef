import { nxProjectTests } from '../../vitest.shared.js';

export default nxProjectTests('trainer-bridge');

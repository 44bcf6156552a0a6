import { Testing } from 'cdktf';
// Types of the matchers below (toHaveResourceWithProperties, ...): a global augmentation of jest's Matchers.
import type {} from 'cdktf/lib/testing/adapters/jest';

// Adds cdktf's matchers: toHaveResource, toHaveResourceWithProperties, toBeValidTerraform, ...
Testing.setupJest();
